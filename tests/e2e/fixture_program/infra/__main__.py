"""Fixture program: one of each resource the offline provisioner implements."""

import pulumi
import pulumi_docker as docker
import pulumi_random as random
import pulumi_tls as tls

config = pulumi.Config()
stack = pulumi.get_stack()
port = config.require_int("port")


def labels(role: str) -> list[docker.ContainerLabelArgs]:
    return [
        docker.ContainerLabelArgs(label="proving-ground.stack", value=stack),
        docker.ContainerLabelArgs(label="proving-ground.role", value=role),
    ]


password = random.RandomPassword("password", length=24, special=False)
key = tls.PrivateKey("key", algorithm="ECDSA", ecdsa_curve="P256")
cert = tls.SelfSignedCert(
    "cert",
    private_key_pem=key.private_key_pem,
    validity_period_hours=24,
    dns_names=["localhost"],
    subject=tls.SelfSignedCertSubjectArgs(common_name="localhost"),
    allowed_uses=["server_auth"],
)
network = docker.Network(
    "backend",
    name=f"{stack}-backend",
    internal=False,
    labels=[docker.NetworkLabelArgs(label="proving-ground.stack", value=stack)],
)
volume = docker.Volume(
    "data",
    name=f"{stack}-app-data",
    labels=[docker.VolumeLabelArgs(label="proving-ground.stack", value=stack)],
)
base = docker.RemoteImage("base", name="proving-ground/debian-base:bookworm", keep_locally=True)
image = docker.Image(
    "app-image",
    image_name="proving-ground/pg-fixture:latest",
    skip_push=True,
    build=docker.DockerBuildArgs(context="image", args={"BASE_IMAGE": base.name}),
)

app = docker.Container(
    "app",
    name=f"{stack}-app",
    image=image.repo_digest,
    labels=labels("app"),
    envs=[password.result.apply(lambda p: f"APP_PASSWORD={p}")],
    command=["sleep", "infinity"],
    ports=[docker.ContainerPortArgs(internal=8080, external=port, ip="127.0.0.1")],
    networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=network.name, aliases=["app"])],
    mounts=[docker.ContainerMountArgs(target="/data", source=volume.name, type="volume")],
    tmpfs={"/tmp": "rw,size=1m"},
    restart="unless-stopped",
    user="1000",
    memory=64,
    uploads=[docker.ContainerUploadArgs(file="/srv/ready", content=cert.cert_pem)],
    healthcheck=docker.ContainerHealthcheckArgs(
        tests=["CMD-SHELL", "test -s /srv/ready"], interval="1s", timeout="2s", retries=3, start_period="0s"
    ),
    wait=True,
    wait_timeout=30,
)
# Declared without wait: the provisioner still counts it in "all healthy".
worker = docker.Container(
    "worker",
    image=base.image_id,
    labels=labels("worker"),
    command=["sleep", "infinity"],
    read_only=True,
    networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=network.name)],
    healthcheck=docker.ContainerHealthcheckArgs(tests=["CMD", "true"], interval="1s"),
    opts=pulumi.ResourceOptions(depends_on=[app]),
)
if config.get_bool("failing"):
    docker.Container(
        "broken",
        name=f"{stack}-broken",
        image=base.image_id,
        labels=labels("broken"),
        command=["bash", "-c", "echo about to fail; sleep 60"],
        healthcheck=docker.ContainerHealthcheckArgs(tests=["CMD", "false"], interval="1s", retries=1),
        wait=True,
        wait_timeout=20,
    )
if config.get_bool("unsupported"):
    docker.Container("odd", name=f"{stack}-odd", image=base.image_id, labels=labels("odd"), privileged=True)

pulumi.export("appContainer", app.name)
pulumi.export("workerContainer", worker.name)
pulumi.export("password", password.result)
pulumi.export("certPem", cert.cert_pem)
pulumi.export("networks", {"backend": network.name})

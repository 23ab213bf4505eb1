"""LoadBalancer: nginx with a rendered config, on both networks; the only public entry point."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker
import pulumi_tls as tls

from infra.components._container import Placement, http_healthcheck, role_container
from infra.configs.nginx.render import (
    CONFIG_PATH,
    TLS_DIR,
    UPSTREAMS_SCRIPT,
    UPSTREAMS_SCRIPT_PATH,
    NginxConfig,
    discovery_env,
    render_nginx_conf,
)
from infra.topology import LB, LB_HTTPS_PORT, LB_STATUS_PORT, container_name

CERT_VALIDITY_HOURS = 24 * 90
# The image's own command, exec'd once the entry point has written the config (no /docker-entrypoint.d)
# and upstreams.sh has written the ready replicas (it keeps them current from then on).
NGINX = ["nginx", "-g", "daemon off;"]
COMMAND = ["/bin/sh", UPSTREAMS_SCRIPT_PATH, *NGINX]


@dataclass(frozen=True, kw_only=True)
class Tls:
    """TLS on the public port: a given certificate and key, or a self-signed one for `common_name`."""

    common_name: str
    certificate: pulumi.Output[str] | None = None
    private_key: pulumi.Output[str] | None = None


@dataclass(frozen=True, kw_only=True)
class LoadBalancerArgs:
    placement: Placement
    frontend_network: pulumi.Input[str]
    backend_network: pulumi.Input[str]
    nginx: NginxConfig  # its upstream servers are the ready API replicas, found by their alias
    api_replicas: Sequence[docker.Container]  # created first, so the first requests find them ready
    bind_address: str
    http_port: int
    https_port: int
    tls: Tls | None = None


class LoadBalancer(pulumi.ComponentResource):
    container: docker.Container
    host: str

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proving-ground:index:LoadBalancer", name, None, opts)
        self.host = container_name(args.placement.stack, LB)
        files: dict[str, pulumi.Input[str]] = {
            CONFIG_PATH: render_nginx_conf(args.nginx),
            UPSTREAMS_SCRIPT_PATH: UPSTREAMS_SCRIPT,
        }
        ports = [docker.ContainerPortArgs(internal=LB.port, external=args.http_port, ip=args.bind_address)]
        if args.tls is not None:
            certificate, key = self._certificate(args.placement.stack, args.tls)
            files[f"{TLS_DIR}/tls.crt"] = certificate
            files[f"{TLS_DIR}/tls.key"] = pulumi.Output.secret(key)
            ports.append(
                docker.ContainerPortArgs(
                    internal=LB_HTTPS_PORT, external=args.https_port, ip=args.bind_address
                )
            )
        self.container = role_container(
            args.placement,
            LB,
            self,
            image=args.placement.images.image(LB, self).image_id,
            command=COMMAND,
            envs=[f"{key}={value}" for key, value in discovery_env(args.nginx).items()],
            files=files,
            ports=ports,
            # frontend first: it is the network the published ports are reached through.
            networks=[args.frontend_network, args.backend_network],
            healthcheck=http_healthcheck(LB_STATUS_PORT, "/healthz"),
            # Only for the first `up`: a rollout or scaling replaces replicas, never this container.
            depends_on=list(args.api_replicas),
        )
        self.register_outputs({"container": self.container.name})

    def _certificate(self, stack: str, given: Tls) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        if given.certificate is not None and given.private_key is not None:
            return given.certificate, given.private_key
        child = pulumi.ResourceOptions(parent=self)
        key = tls.PrivateKey(f"{stack}-lb-tls-key", algorithm="ECDSA", ecdsa_curve="P256", opts=child)
        certificate = tls.SelfSignedCert(
            f"{stack}-lb-tls-cert",
            private_key_pem=key.private_key_pem,
            subject=tls.SelfSignedCertSubjectArgs(
                common_name=given.common_name, organization="proving-ground"
            ),
            dns_names=[given.common_name],
            validity_period_hours=CERT_VALIDITY_HOURS,
            allowed_uses=["digital_signature", "key_encipherment", "server_auth"],
            opts=child,
        )
        return certificate.cert_pem, key.private_key_pem

"""LoadBalancer: nginx with a rendered config, on both networks; the only public entry point."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker
import pulumi_tls as tls

from infra.components._container import (
    RESTART_POLICY,
    container_labels,
    http_healthcheck,
    networks,
    uploads,
)
from infra.components._images import image_for
from infra.naming import LB_STATUS_PORT, container_name
from infra.render.nginx import CONFIG_PATH, TLS_DIR, NginxConfig, render_nginx_conf
from infra.settings import Settings

CERT_VALIDITY_HOURS = 24 * 90


@dataclass(frozen=True, kw_only=True)
class LoadBalancerArgs:
    settings: Settings
    frontend_network: pulumi.Input[str]
    backend_network: pulumi.Input[str]
    api_replicas: Sequence[docker.Container]
    tls_certificate: pulumi.Output[str] | None = None
    tls_private_key: pulumi.Output[str] | None = None


class LoadBalancer(pulumi.ComponentResource):
    container: docker.Container

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proving-ground:index:LoadBalancer", name, None, opts)
        settings, stack = args.settings, args.settings.stack
        files: dict[str, pulumi.Input[str]] = {
            CONFIG_PATH: render_nginx_conf(NginxConfig.from_settings(settings))
        }
        ports = [
            docker.ContainerPortArgs(internal=80, external=settings.lb_http_port, ip=settings.lb_bind_address)
        ]
        if settings.tls_enabled:
            certificate, key = self._certificate(settings, args)
            files[f"{TLS_DIR}/tls.crt"] = certificate
            files[f"{TLS_DIR}/tls.key"] = pulumi.Output.secret(key)
            ports.append(
                docker.ContainerPortArgs(
                    internal=443, external=settings.lb_https_port, ip=settings.lb_bind_address
                )
            )
        name_ = container_name(stack, "lb")
        self.container = docker.Container(
            name_,
            name=name_,
            hostname=name_,
            image=image_for(settings, "lb", self).image_id,
            uploads=uploads(files),
            ports=ports,
            # frontend first: it is the network the published ports are reached through.
            networks_advanced=networks(args.frontend_network, args.backend_network, alias="lb"),
            healthcheck=http_healthcheck(LB_STATUS_PORT, "/healthz"),
            labels=container_labels(stack, "lb"),
            memory=settings.lb_memory,
            restart=RESTART_POLICY,
            wait=True,
            wait_timeout=settings.wait_timeout_seconds,
            # nginx resolves upstream names at start: every replica must exist first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.api_replicas)),
        )
        self.register_outputs({"container": self.container.name})

    def _certificate(
        self, settings: Settings, args: LoadBalancerArgs
    ) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        if settings.tls_cert_source == "provided" and args.tls_certificate and args.tls_private_key:
            return args.tls_certificate, args.tls_private_key
        child = pulumi.ResourceOptions(parent=self)
        key = tls.PrivateKey(
            f"{settings.stack}-lb-tls-key", algorithm="ECDSA", ecdsa_curve="P256", opts=child
        )
        certificate = tls.SelfSignedCert(
            f"{settings.stack}-lb-tls-cert",
            private_key_pem=key.private_key_pem,
            subject=tls.SelfSignedCertSubjectArgs(
                common_name=settings.tls_common_name, organization="proving-ground"
            ),
            dns_names=[settings.tls_common_name],
            validity_period_hours=CERT_VALIDITY_HOURS,
            allowed_uses=["digital_signature", "key_encipherment", "server_auth"],
            opts=child,
        )
        return certificate.cert_pem, key.private_key_pem

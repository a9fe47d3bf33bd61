"""deploy/ is checked by maintained schema checkers, offline: the compose file against the
Compose Specification schema check-jsonschema ships, the Kubernetes manifests against the
schemas kubernetes-validate ships (strict: unknown fields refused), every YAML by yamllint.
Each checker is also shown a broken copy, so a test that passes means the checker looked."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from pairbook.app import app_routes
from pairbook.cli import build_parser
from pairbook.cli.envflags import env_name
from support.nginx import check_config, render
from support.tools import TOOLS_BIN

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
K8S = sorted((DEPLOY / "k8s").glob("*.yaml"))
KUBERNETES = "1.37"  # the newest schemas kubernetes-validate ships


def check(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TOOLS_BIN / "python"), "-m", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def check_compose(path: Path) -> subprocess.CompletedProcess[str]:
    return check("check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(path))


def check_kubernetes(*paths: Path) -> subprocess.CompletedProcess[str]:
    return check("kubernetes_validate", "--strict", "-k", KUBERNETES, *map(str, paths))


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_the_compose_file_follows_the_compose_specification() -> None:
    result = check_compose(DEPLOY / "compose.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_compose_file_is_refused(tmp_path: Path) -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    compose["services"]["redis"]["restart_policy"] = "always"  # no such service key
    compose["services"]["proxy"]["ports"] = {"8080": 8080}  # a mapping, not a list
    broken = tmp_path / "compose.yaml"
    broken.write_text(yaml.safe_dump(compose))
    result = check_compose(broken)
    assert result.returncode != 0
    assert "restart_policy" in result.stdout + result.stderr


def test_the_kubernetes_manifests_follow_the_kubernetes_schemas() -> None:
    assert {doc["kind"] for path in K8S for doc in documents(path)} >= {
        "Deployment", "Service", "Ingress", "PodDisruptionBudget", "ConfigMap",
    }  # fmt: skip
    result = check_kubernetes(*K8S)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_kubernetes_manifest_is_refused(tmp_path: Path) -> None:
    deployment = documents(DEPLOY / "k8s" / "deployment.yaml")[0]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["ports"][0]["containerPort"] = "eighty-eight"  # an integer field
    container["readinessProbe"]["httpGet"]["paht"] = "/api/health"  # unknown, refused strictly
    broken = tmp_path / "deployment.yaml"
    broken.write_text(yaml.safe_dump(deployment))
    result = check_kubernetes(broken)
    assert result.returncode != 0
    assert "eighty-eight" in result.stdout + result.stderr


def test_the_yaml_is_clean_and_a_bad_indent_is_not(tmp_path: Path) -> None:
    config = str(DEPLOY / ".yamllint.yaml")
    result = check("yamllint", "--strict", "-c", config, str(DEPLOY))
    assert result.returncode == 0, result.stdout + result.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("a:\n   b: 1\n  c: 2\n")
    assert check("yamllint", "--strict", "-c", config, str(bad)).returncode != 0


def test_readiness_asks_the_health_route_the_server_serves() -> None:
    served = {getattr(route, "path", None) for route in app_routes()}
    deployment = documents(DEPLOY / "k8s" / "deployment.yaml")[0]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] in served
    assert (DEPLOY / "Dockerfile").read_text().count("/api/health") == 1


@pytest.mark.parametrize("service", ["pairbook-a", "pairbook-b"])
def test_compose_runs_two_pairbook_processes_behind_the_proxy(service: str) -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    upstream = (DEPLOY / "nginx" / "upstream.conf").read_text()
    assert f"server {service}:8888" in upstream
    assert "ports" not in compose["services"][service]  # reached through the proxy only
    assert {"redis", "postgres", "proxy"} <= set(compose["services"])


def test_nginx_takes_the_proxy_config_and_refuses_a_broken_one(tmp_path: Path) -> None:
    conf = render(tmp_path / "good", [8888, 8889], 8080)
    checked = check_config(conf)
    assert checked.returncode == 0, checked.stderr
    broken = render(tmp_path / "bad", [8888], 8080)
    proxy = broken.parent / "pairbook.conf"
    proxy.write_text(proxy.read_text().replace("proxy_http_version 1.1;", "proxy_http_version;"))
    refused = check_config(broken)
    assert refused.returncode != 0
    assert "proxy_http_version" in refused.stderr


def test_every_pairbook_variable_in_deploy_names_a_serve_flag() -> None:
    commands = next(
        action for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )  # fmt: skip
    flags = {env_name(action) for action in commands.choices["serve"]._actions}
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    named = set(compose["x-pairbook"]["environment"])
    for path in ("configmap.yaml", "secret.example.yaml"):
        for doc in documents(DEPLOY / "k8s" / path):
            named |= set(doc.get("data") or doc.get("stringData") or {})
    assert {"PAIRBOOK_STORE", "PAIRBOOK_BROKER", "PAIRBOOK_KERNEL_GATEWAY"} <= named
    assert named <= flags, named - flags


def _outside(state: str, notebooks: str) -> bool:
    return not PurePosixPath(state).is_relative_to(notebooks)


def test_the_kernel_gateway_in_compose_never_mounts_pairbooks_state() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    pairbook = compose["x-pairbook"]
    env = pairbook["environment"]
    assert _outside(env["PAIRBOOK_STATE_DIR"], env["PAIRBOOK_DIR"])
    mounts = dict(volume.rsplit(":", 1)[::-1] for volume in pairbook["volumes"])
    state = mounts[env["PAIRBOOK_STATE_DIR"]]  # the volume holding the state
    assert state in compose["volumes"]  # a named volume of its own
    gateway = [volume.split(":")[0] for volume in compose["services"]["kernels"]["volumes"]]
    assert state not in gateway
    assert gateway == [mounts[env["PAIRBOOK_DIR"]]]  # the notebooks only


def test_the_kernel_gateway_in_kubernetes_never_mounts_pairbooks_state() -> None:
    config = documents(DEPLOY / "k8s" / "configmap.yaml")[0]["data"]
    assert _outside(config["PAIRBOOK_STATE_DIR"], config["PAIRBOOK_DIR"])
    pod = documents(DEPLOY / "k8s" / "deployment.yaml")[0]["spec"]["template"]["spec"]
    mounted = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"]}
    state = claims[mounted[config["PAIRBOOK_STATE_DIR"]]]
    assert state != claims[mounted[config["PAIRBOOK_DIR"]]]
    declared = [
        doc["metadata"]["name"] for doc in documents(DEPLOY / "k8s" / "persistentvolumeclaim.yaml")
    ]
    assert state in declared
    gateway = documents(DEPLOY / "k8s" / "kernel-gateway.yaml")[0]["spec"]["template"]["spec"]
    assert [v["persistentVolumeClaim"]["claimName"] for v in gateway["volumes"]] == [
        "pairbook-notebooks"
    ]

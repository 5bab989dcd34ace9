"""Google Cloud and Azure corpus programs (CIS GCP/Azure Foundations, Checkov CKV_GCP_*/CKV_AZURE_*)."""

from __future__ import annotations

import pulumi_azure_native as azure
import pulumi_gcp as gcp

from corpus.program import Program

PROJECT = "acme-shop"
RG = "shop-rg"


def _firewall(name: str, ports: list[str], ranges: list[str]) -> None:
    gcp.compute.Firewall(
        name, project=PROJECT, network="default", source_ranges=ranges, allows=[{"protocol": "tcp", "ports": ports}]
    )


def _instance(name: str, metadata: dict[str, str], external_ip: bool = False) -> None:
    interface: dict[str, object] = {"subnetwork": "projects/acme-shop/regions/us-central1/subnetworks/app"}
    if external_ip:
        interface["access_configs"] = [{}]
    gcp.compute.Instance(
        name,
        project=PROJECT,
        zone="us-central1-a",
        machine_type="e2-small",
        boot_disk={"initialize_params": {"image": "debian-cloud/debian-12"}},
        network_interfaces=[interface],
        service_account={"email": "app@acme-shop.iam.gserviceaccount.com", "scopes": ["cloud-platform"]},
        shielded_instance_config={"enable_secure_boot": True, "enable_vtpm": True, "enable_integrity_monitoring": True},
        metadata=metadata,
    )


HARDENED_METADATA = {"block-project-ssh-keys": "TRUE", "enable-oslogin": "TRUE"}


def _gke(name: str, **settings: object) -> None:
    base: dict[str, object] = {
        "project": PROJECT,
        "location": "us-central1",
        "initial_node_count": 1,
        "private_cluster_config": {"enable_private_nodes": True, "master_ipv4_cidr_block": "172.16.0.0/28"},
        "master_authorized_networks_config": {"cidr_blocks": [{"cidr_block": "10.20.0.0/16", "display_name": "vpn"}]},
    }
    base.update(settings)
    gcp.container.Cluster(name, **base)  # type: ignore[arg-type]


def _public_bucket() -> None:
    bucket = gcp.storage.Bucket("media", project=PROJECT, location="US", uniform_bucket_level_access=True)
    gcp.storage.BucketIAMMember("media-public", bucket=bucket.name, role="roles/storage.objectViewer", member="allUsers")


def _cloudsql_public() -> None:
    gcp.sql.DatabaseInstance(
        "orders",
        project=PROJECT,
        region="us-central1",
        database_version="POSTGRES_16",
        settings={
            "tier": "db-custom-1-3840",
            "ip_configuration": {
                "ipv4_enabled": True,
                "ssl_mode": "ENCRYPTED_ONLY",
                "authorized_networks": [{"name": "any", "value": "0.0.0.0/0"}],
            },
            "backup_configuration": {"enabled": True},
        },
    )


def _cloud_run(image: str) -> None:
    gcp.cloudrunv2.Service("api", project=PROJECT, location="us-central1", template={"containers": [{"image": image}]})


def _storage_account(name: str, **settings: object) -> None:
    base: dict[str, object] = {
        "resource_group_name": RG,
        "kind": "StorageV2",
        "sku": {"name": "Standard_LRS"},
        "enable_https_traffic_only": True,
        "minimum_tls_version": "TLS1_2",
        "allow_blob_public_access": False,
    }
    base.update(settings)
    azure.storage.StorageAccount(name, **base)  # type: ignore[arg-type]


def _nsg_rule(name: str, port: str) -> None:
    azure.network.SecurityRule(
        name,
        resource_group_name=RG,
        network_security_group_name="app-nsg",
        priority=100,
        direction="Inbound",
        access="Allow",
        protocol="Tcp",
        source_address_prefix="Internet",
        source_port_range="*",
        destination_address_prefix="*",
        destination_port_range=port,
    )


def _web_app(name: str, https_only: bool = True, **site: object) -> None:
    config: dict[str, object] = {"ftps_state": "Disabled", "min_tls_version": "1.2", "linux_fx_version": "PYTHON|3.12"}
    config.update(site)
    azure.web.WebApp(
        name,
        resource_group_name=RG,
        server_farm_id="/subscriptions/0/resourceGroups/shop-rg/providers/Microsoft.Web/serverfarms/plan",
        https_only=https_only,
        site_config=config,
    )


def _aks(name: str, **settings: object) -> None:
    base: dict[str, object] = {
        "resource_group_name": RG,
        "dns_prefix": name,
        "enable_rbac": True,
        "disable_local_accounts": True,
        "aad_profile": {"managed": True, "enable_azure_rbac": True},
        "identity": {"type": "SystemAssigned"},
        "agent_pool_profiles": [{"name": "system", "count": 2, "vm_size": "Standard_D2s_v5", "mode": "System"}],
    }
    base.update(settings)
    azure.containerservice.ManagedCluster(name, **base)  # type: ignore[arg-type]


def _sql_public() -> None:
    azure.sql.Server(
        "ledger", resource_group_name=RG, administrator_login="sqladmin", public_network_access="Enabled", version="12.0"
    )


PROGRAMS = [
    Program("gcp-firewall-ssh-world", True, "CKV_GCP_2 / CIS GCP 3.6", lambda: _firewall("ssh", ["22"], ["0.0.0.0/0"])),
    Program(
        "gcp-firewall-mysql-world",
        True,
        "CIS GCP 3.x / Checkov CKV_GCP_88-family",
        lambda: _firewall("mysql", ["3306"], ["0.0.0.0/0"]),
    ),
    Program("gcp-bucket-all-users", True, "CKV_GCP_28 / CIS GCP 5.1", _public_bucket),
    Program("gcp-cloudsql-open-network", True, "CKV_GCP_11 / CIS GCP 6.5", _cloudsql_public),
    Program(
        "gcp-gce-external-ip", True, "CKV_GCP_40 / CIS GCP 4.9", lambda: _instance("jump", HARDENED_METADATA, external_ip=True)
    ),
    Program(
        "gcp-gce-serial-port",
        True,
        "CKV_GCP_35 / CIS GCP 4.5",
        lambda: _instance("debug", {**HARDENED_METADATA, "serial-port-enable": "true"}),
    ),
    Program(
        "gcp-gce-project-ssh-keys", True, "CKV_GCP_32 / CIS GCP 4.3", lambda: _instance("worker", {"enable-oslogin": "TRUE"})
    ),
    Program(
        "gcp-gce-os-login-off",
        True,
        "CKV_GCP_34 / CIS GCP 4.4",
        lambda: _instance("legacy", {"block-project-ssh-keys": "TRUE", "enable-oslogin": "FALSE"}),
    ),
    Program("gcp-gke-legacy-abac", True, "CKV_GCP_7 / CIS GKE 5.8.3", lambda: _gke("legacy", enable_legacy_abac=True)),
    Program(
        "gcp-gke-public-control-plane",
        True,
        "CKV_GCP_20 / CIS GKE 5.6.3",
        lambda: _gke("open", master_authorized_networks_config=None),
    ),
    Program(
        "gcp-gke-public-nodes", True, "CKV_GCP_64 / CIS GKE 5.6.5", lambda: _gke("public-nodes", private_cluster_config=None)
    ),
    Program(
        "gcp-cloud-run-untrusted-image",
        True,
        "registry allow-list (configured)",
        lambda: _cloud_run("docker.io/randomuser/miner:latest"),
    ),
    Program("gcp-compliant-instance", False, "CIS GCP 4.*", lambda: _instance("app", HARDENED_METADATA)),
    Program("gcp-compliant-gke", False, "CIS GKE 5.*", lambda: _gke("private")),
    Program("gcp-compliant-firewall-https", False, "CIS GCP 3.6 3.7", lambda: _firewall("https", ["443"], ["0.0.0.0/0"])),
    Program(
        "azure-storage-http",
        True,
        "CKV_AZURE_3 / CIS Azure 3.1",
        lambda: _storage_account("logsacct", enable_https_traffic_only=False),
    ),
    Program(
        "azure-storage-public-blobs",
        True,
        "CKV_AZURE_190 / CIS Azure 3.7",
        lambda: _storage_account("mediaacct", allow_blob_public_access=True),
    ),
    Program("azure-nsg-rdp-internet", True, "CKV_AZURE_9 / CIS Azure 6.1", lambda: _nsg_rule("rdp", "3389")),
    Program("azure-nsg-sql-internet", True, "CKV_AZURE_11-family / CIS Azure 6.3", lambda: _nsg_rule("sql", "1433")),
    Program("azure-sql-public-network", True, "CKV_AZURE_113", _sql_public),
    Program("azure-webapp-http", True, "CKV_AZURE_14 / CIS Azure 9.2", lambda: _web_app("shop-web", https_only=False)),
    Program("azure-webapp-ftp", True, "CKV_AZURE_78 / CIS Azure 9.10", lambda: _web_app("shop-admin", ftps_state="AllAllowed")),
    Program("azure-webapp-tls10", True, "CKV_AZURE_15 / CIS Azure 9.3", lambda: _web_app("shop-api", min_tls_version="1.0")),
    Program("azure-aks-rbac-off", True, "CKV_AZURE_5", lambda: _aks("legacy-aks", enable_rbac=False)),
    Program("azure-aks-local-accounts", True, "CKV_AZURE_141", lambda: _aks("team-aks", disable_local_accounts=False)),
    Program("azure-compliant-webapp", False, "CIS Azure 9.*", lambda: _web_app("portal")),
    Program("azure-compliant-aks", False, "CKV_AZURE_5 CKV_AZURE_141", lambda: _aks("platform-aks")),
    Program("azure-compliant-storage", False, "CIS Azure 3.*", lambda: _storage_account("dataacct")),
]

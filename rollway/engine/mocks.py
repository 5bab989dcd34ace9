"""Pulumi mocks that answer like the clouds would: plausible ids, ARNs, names, self links and endpoints,
and the common invokes (availability zones, caller identity, client configs, policy documents).

Two modes:
- `resolve_outputs=True` (tests): every computed output gets a plausible, deterministic value, so
  components that read outputs (ARN suffixes, DNS names, ids) run their `apply` callbacks.
- `resolve_outputs=False` (an offline preview): like a real `pulumi preview`, only the inputs come back;
  ids and every provider-computed output stay unknown.
Values are derived from a hash of the resource's type and name, so two runs of the same program agree
(blast-radius comparisons rely on it).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import yaml
from pulumi.runtime import rpc

from rollway import clouds
from rollway.engine import derived
from rollway.engine.derived import ACCOUNT_ID, digest

AZURE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
AZURE_TENANT = "11111111-1111-1111-1111-111111111111"

InvokeHandler = Callable[[dict[str, Any], "CloudContext"], dict[str, Any]]
OutputsHandler = Callable[[pulumi.runtime.MockResourceArgs, "CloudContext"], dict[str, Any]]


@dataclass
class CloudContext:
    """Where the mock clouds live (read from provider config when present)."""

    aws_region: str = "us-east-1"
    gcp_project: str = "rollway-mock-project"
    gcp_region: str = "us-central1"
    azure_location: str = "westeurope"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CloudContext:
        config = {**clouds.provider_defaults(), **{key: value for key, value in config.items() if value}}
        context = cls()
        context.aws_region = str(config.get("aws:region") or context.aws_region)
        context.gcp_project = str(config.get("gcp:project") or context.gcp_project)
        context.gcp_region = str(config.get("gcp:region") or context.gcp_region)
        context.azure_location = str(config.get("azure-native:location") or context.azure_location)
        return context


def _split_token(type_: str) -> tuple[str, str, str]:
    """`aws:lb/targetGroup:TargetGroup` -> ("aws", "lb", "TargetGroup")."""
    parts = type_.split(":")
    if len(parts) != 3:
        return type_, "", type_
    package, module, kind = parts
    return package, module.split("/")[0], kind


def _kebab(text: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", text).lower()


def _lower_camel_plural(kind: str) -> str:
    base = kind[:1].lower() + kind[1:]
    if base.endswith("y") and base[-2:-1] not in ("a", "e", "i", "o", "u"):
        return base[:-1] + "ies"
    return base if base.endswith("s") else base + "s"


# ---------------------------------------------------------------- AWS
_AWS_ID_PREFIX = {
    "Vpc": "vpc-",
    "Subnet": "subnet-",
    "SecurityGroup": "sg-",
    "InternetGateway": "igw-",
    "NatGateway": "nat-",
    "Eip": "eipalloc-",
    "RouteTable": "rtb-",
    "Instance": "i-",
    "Volume": "vol-",
    "NetworkAcl": "acl-",
    "VpcEndpoint": "vpce-",
    "LaunchTemplate": "lt-",
    "SecurityGroupRule": "sgr-",
    "SecurityGroupIngressRule": "sgr-",
    "SecurityGroupEgressRule": "sgr-",
    "RouteTableAssociation": "rtbassoc-",
    "Route": "r-",
    "KeyPair": "key-",
}
_AWS_ARN_SERVICE = {
    "lb": "elasticloadbalancing",
    "alb": "elasticloadbalancing",
    "cloudwatch": "logs",
    "appautoscaling": "autoscaling",
}
_AWS_ARN_IS_ID = {"lb", "alb"}
_AWS_NAME_LIMIT = {"TargetGroup": 32, "LoadBalancer": 32}


def _aws_outputs(args: pulumi.runtime.MockResourceArgs, context: CloudContext) -> tuple[str, dict[str, Any]]:
    _, module, kind = _split_token(args.typ)
    inputs = args.inputs
    salt = digest(args.typ, args.name, length=17)
    limit = _AWS_NAME_LIMIT.get(kind, 64)
    if isinstance(inputs.get("name"), str):
        physical = inputs["name"]
    elif isinstance(inputs.get("namePrefix"), str):
        physical = (inputs["namePrefix"] + salt)[:limit]
    else:
        physical = f"{args.name[: limit - 8]}-{salt[:7]}"
    region = context.aws_region
    service = _AWS_ARN_SERVICE.get(module, module)
    outputs: dict[str, Any] = {"name": physical, "region": region}
    if module == "iam":
        arn = f"arn:aws:iam::{ACCOUNT_ID}:{_kebab(kind)}/{physical}"
    elif module == "s3":
        physical = str(inputs.get("bucket") or physical).lower()
        arn = f"arn:aws:s3:::{physical}"
        outputs.update(
            bucket=physical,
            bucketDomainName=f"{physical}.s3.amazonaws.com",
            bucketRegionalDomainName=f"{physical}.s3.{region}.amazonaws.com",
        )
    elif module == "cloudwatch" and kind == "LogGroup":
        arn = f"arn:aws:logs:{region}:{ACCOUNT_ID}:log-group:{physical}"
    elif module == "lb" or module == "alb":
        if kind == "LoadBalancer":
            kind_path = "net" if inputs.get("loadBalancerType") == "network" else "app"
            suffix = f"{kind_path}/{physical}/{salt[:16]}"
            outputs.update(
                arnSuffix=suffix,
                dnsName=f"{physical}-{int(salt[:8], 16) % 10**9}.{region}.elb.amazonaws.com",
                zoneId="Z35SXDOTRQ7X7K",
            )
            arn = f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:loadbalancer/{suffix}"
        elif kind == "TargetGroup":
            suffix = f"targetgroup/{physical}/{salt[:16]}"
            outputs["arnSuffix"] = suffix
            arn = f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:{suffix}"
        else:
            arn = f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:{_kebab(kind)}/app/{physical}/{salt[:16]}"
    elif module == "ecs" and kind == "TaskDefinition":
        family = str(inputs.get("family") or physical)
        arn = f"arn:aws:ecs:{region}:{ACCOUNT_ID}:task-definition/{family}:1"
        outputs.update(revision=1, arnWithoutRevision=arn.rsplit(":", 1)[0])
    else:
        arn = f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{_kebab(kind)}/{physical}"
    if module == "appsync" and kind == "GraphQLApi":
        # A map keyed by protocol: programs read `uris["GRAPHQL"]`.
        host = f"{salt[:17]}.appsync-api.{region}.amazonaws.com"
        outputs["uris"] = {
            "GRAPHQL": f"https://{host}/graphql",
            "REALTIME": f"wss://{host.replace('-api.', '-realtime-api.')}/graphql",
        }
    outputs["arn"] = arn
    prefix = _AWS_ID_PREFIX.get(kind)
    if prefix:
        resource_id = prefix + salt
    elif module in _AWS_ARN_IS_ID or (module == "ecs" and kind in ("Service", "TaskDefinition")) or module == "secretsmanager":
        resource_id = arn if kind != "TaskDefinition" else physical
    elif module == "appautoscaling" and kind == "Target":
        resource_id = str(inputs.get("resourceId") or physical)
    else:
        resource_id = physical
    if kind == "Vpc":
        outputs.update(
            defaultSecurityGroupId=f"sg-{salt[::-1][:17]}", mainRouteTableId=f"rtb-{salt[::-1][:17]}", ownerId=ACCOUNT_ID
        )
    if kind == "Eip":
        outputs.update(publicIp=f"203.0.113.{int(salt[:2], 16) % 250 + 1}", allocationId=resource_id)
    if kind == "Instance":
        outputs.update(privateIp=f"10.0.{int(salt[:2], 16)}.{int(salt[2:4], 16) % 250 + 1}")
    if module == "rds":
        outputs.update(
            endpoint=f"{physical}.{salt[:12]}.{region}.rds.amazonaws.com:5432",
            address=f"{physical}.{salt[:12]}.{region}.rds.amazonaws.com",
        )
    if module == "ecr" and kind == "Repository":
        outputs["repositoryUrl"] = f"{ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com/{physical}"
    if module == "kms" and kind == "Key":
        resource_id = f"{salt[:8]}-{salt[8:12]}-4{salt[13:16]}-8{salt[1:4]}-{salt[:12]}"
        outputs.update(keyId=resource_id, arn=f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/{resource_id}")
    outputs["id"] = resource_id
    return resource_id, outputs


# ---------------------------------------------------------------- GCP
def _gcp_outputs(args: pulumi.runtime.MockResourceArgs, context: CloudContext) -> tuple[str, dict[str, Any]]:
    _, module, kind = _split_token(args.typ)
    inputs = args.inputs
    salt = digest(args.typ, args.name)
    physical = str(inputs.get("name") or f"{args.name[:54]}-{salt[:7]}")
    project = str(inputs.get("project") or context.gcp_project)
    if isinstance(inputs.get("zone"), str):
        scope = f"zones/{inputs['zone']}"
    elif isinstance(inputs.get("region"), str) or kind.startswith("Region"):
        scope = f"regions/{inputs.get('region') or context.gcp_region}"
    elif isinstance(inputs.get("location"), str):
        scope = f"locations/{inputs['location']}"
    else:
        scope = "global"
    collection = _lower_camel_plural(kind.removeprefix("Region") if kind.startswith("Region") else kind)
    resource_id = f"projects/{project}/{scope}/{collection}/{physical}"
    outputs: dict[str, Any] = {
        "name": physical,
        "project": project,
        "selfLink": f"https://www.googleapis.com/{module}/v1/{resource_id}",
        "selfLinkWithId": f"https://www.googleapis.com/{module}/v1/{resource_id}/{int(salt, 16)}",
        "creationTimestamp": "2026-01-01T00:00:00.000-00:00",
        "effectiveLabels": inputs.get("labels", {}),
        "pulumiLabels": inputs.get("labels", {}),
    }
    if kind in ("GlobalAddress", "Address"):
        outputs["address"] = f"203.0.113.{int(salt[:2], 16) % 250 + 1}"
    if kind == "ServiceAccount" or (module == "serviceaccount" and kind == "Account"):
        account = str(inputs.get("accountId") or physical)
        outputs.update(email=f"{account}@{project}.iam.gserviceaccount.com", uniqueId=str(int(salt, 16)))
    if module == "cloudrunv2" and kind == "Service":
        outputs.update(
            uri=f"https://{physical}-{salt[:10]}-uc.a.run.app", latestReadyRevision=f"{resource_id}/revisions/{physical}-00001"
        )
    if kind in ("InstanceGroupManager", "RegionInstanceGroupManager"):
        outputs["instanceGroup"] = outputs["selfLink"].replace("instanceGroupManagers", "instanceGroups")
    if kind == "Bucket":
        outputs["url"] = f"gs://{physical}"
    if module == "container" and kind == "Cluster":
        outputs.update(endpoint="203.0.113.50", masterAuth={"clusterCaCertificate": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"})
    outputs["id"] = resource_id
    return resource_id, outputs


# ---------------------------------------------------------------- Azure
_AZURE_NAME_KEYS = ("name",)


def _azure_outputs(args: pulumi.runtime.MockResourceArgs, context: CloudContext) -> tuple[str, dict[str, Any]]:
    _, module, kind = _split_token(args.typ)
    inputs = args.inputs
    salt = digest(args.typ, args.name)
    own_key = kind[:1].lower() + kind[1:] + "Name"
    physical = str(inputs.get(own_key) or inputs.get("resourceName") or inputs.get("name") or f"{args.name[:50]}{salt}")
    location = str(inputs.get("location") or context.azure_location)
    group = inputs.get("resourceGroupName")
    if kind == "ResourceGroup":
        physical = str(inputs.get("resourceGroupName") or f"{args.name[:50]}{salt}")
        resource_id = f"/subscriptions/{AZURE_SUBSCRIPTION}/resourceGroups/{physical}"
    else:
        namespace = "Microsoft." + (module[:1].upper() + module[1:])
        scope = f"/subscriptions/{AZURE_SUBSCRIPTION}/resourceGroups/{group}" if group else f"/subscriptions/{AZURE_SUBSCRIPTION}"
        resource_id = f"{scope}/providers/{namespace}/{_lower_camel_plural(kind)}/{physical}"
    outputs: dict[str, Any] = {
        "name": physical,
        "location": location,
        "type": f"Microsoft.{module}/{kind}",
        "azureApiVersion": "2024-01-01",
    }
    if module == "app" and kind == "ContainerApp":
        fqdn = f"{physical}.{salt[:8]}.{location}.azurecontainerapps.io"
        outputs.update(
            latestRevisionFqdn=fqdn, latestRevisionName=f"{physical}--{salt[:7]}", outboundIpAddresses=["203.0.113.20"]
        )
        configuration = dict(inputs.get("configuration") or {})
        if isinstance(configuration.get("ingress"), dict):
            configuration["ingress"] = {**configuration["ingress"], "fqdn": fqdn}
        outputs["configuration"] = configuration
    if module == "app" and kind == "ManagedEnvironment":
        outputs.update(defaultDomain=f"{salt[:8]}.{location}.azurecontainerapps.io", staticIp="10.50.0.100")
    if module == "cdn" and kind == "Profile":
        outputs["frontDoorId"] = f"{salt}-{salt[:4]}-4{salt[1:4]}-8{salt[2:5]}-{salt}{salt[:4]}"
    if module == "cdn" and kind == "AFDEndpoint":
        outputs["hostName"] = f"{physical}-{salt[:12]}.z01.azurefd.net"
    if module == "operationalinsights" and kind == "Workspace":
        outputs["customerId"] = f"{salt[:8]}-{salt[:4]}-4{salt[1:4]}-8{salt[2:5]}-{salt}{salt[:4]}"
    if kind in ("PublicIPAddress",):
        outputs["ipAddress"] = f"203.0.113.{int(salt[:2], 16) % 250 + 1}"
    outputs["id"] = resource_id
    return resource_id, outputs


# ---------------------------------------------------------------- Kubernetes
_K8S_CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "IngressClass",
    "PriorityClass",
}


def _kubernetes_outputs(args: pulumi.runtime.MockResourceArgs, context: CloudContext) -> tuple[str, dict[str, Any]]:
    inputs = dict(args.inputs)
    kind = str(inputs.get("kind") or _split_token(args.typ)[2])
    metadata = dict(inputs.get("metadata") or {})
    salt = digest(args.typ, args.name)
    name = str(metadata.get("name") or f"{args.name[:54]}-{salt}")
    metadata["name"] = name
    metadata.setdefault("uid", f"{salt}-{salt[:4]}-4{salt[1:4]}-8{salt[2:5]}-{salt}{salt[:4]}")
    metadata.setdefault("resourceVersion", "1")
    if kind in _K8S_CLUSTER_SCOPED or args.typ.startswith("pulumi:providers"):
        resource_id = name
    else:
        namespace = str(metadata.get("namespace") or "default")
        metadata["namespace"] = namespace
        resource_id = f"{namespace}/{name}"
    outputs: dict[str, Any] = {**inputs, "metadata": metadata}
    if kind == "Service":
        spec = dict(inputs.get("spec") or {})
        spec.setdefault("clusterIP", f"10.96.{int(salt[:2], 16)}.{int(salt[2:4], 16) % 250 + 1}")
        outputs["spec"] = spec
        if spec.get("type") == "LoadBalancer":
            outputs["status"] = {"loadBalancer": {"ingress": [{"ip": "203.0.113.30"}]}}
    return resource_id, outputs


# ---------------------------------------------------------------- random
def _random_outputs(args: pulumi.runtime.MockResourceArgs, context: CloudContext) -> tuple[str, dict[str, Any]]:
    _, _, kind = _split_token(args.typ)
    salt = digest(args.typ, args.name, length=32)
    length = int(args.inputs.get("length") or 16)
    result = (salt * 4)[:length]
    outputs: dict[str, Any] = {"result": result}
    if kind == "RandomId":
        byte_length = int(args.inputs.get("byteLength") or 8)
        outputs = {
            "hex": salt[: byte_length * 2],
            "b64Url": salt[: byte_length * 2],
            "dec": str(int(salt[: byte_length * 2], 16)),
        }
    if kind == "RandomPet":
        outputs = {"id": f"mock-{salt[:6]}"}
    if kind == "RandomInteger":
        low, high = int(args.inputs.get("min", 0)), int(args.inputs.get("max", 100))
        outputs = {"result": low + int(salt[:8], 16) % max(high - low + 1, 1)}
    if kind == "RandomUuid":
        outputs = {"result": f"{salt[:8]}-{salt[8:12]}-4{salt[13:16]}-8{salt[17:20]}-{salt[20:32]}"}
    return salt[:16], outputs


# ---------------------------------------------------------------- awsx
_AWSX_SUBNET_TYPES = {"Public": "publicSubnetIds", "Private": "privateSubnetIds", "Isolated": "isolatedSubnetIds"}


def _awsx_outputs(args: pulumi.runtime.MockResourceArgs, context: CloudContext) -> tuple[str, dict[str, Any]]:
    """awsx components; a Vpc reports one subnet id per availability zone for each subnet spec, in spec order, as
    awsx builds them (programs index `isolated_subnet_ids[3]` for the second spec's first zone)."""
    _, _, kind = _split_token(args.typ)
    salt = digest(args.typ, args.name, length=17)
    if kind != "Vpc":
        return f"{args.name}-{salt[:8]}", {}
    inputs = args.inputs
    zones = inputs.get("availabilityZoneNames")
    count = len(zones) if isinstance(zones, list) and zones else int(inputs.get("numberOfAvailabilityZones") or 3)
    specs = inputs.get("subnetSpecs")
    kinds = [spec.get("type") for spec in specs if isinstance(spec, dict)] if isinstance(specs, list) else []
    outputs: dict[str, Any] = {"vpcId": f"vpc-{salt}"}
    for subnet_type, output in _AWSX_SUBNET_TYPES.items():
        specs_of_type = kinds.count(subnet_type) if kinds else int(subnet_type in ("Public", "Private"))
        outputs[output] = [
            f"subnet-{digest(args.typ, args.name, subnet_type, str(index), length=17)}" for index in range(specs_of_type * count)
        ]
    return f"vpc-{salt}", outputs


_Outputs = Callable[[pulumi.runtime.MockResourceArgs, CloudContext], tuple[str, dict[str, Any]]]
_PACKAGE_OUTPUTS: dict[str, _Outputs] = {"random": _random_outputs, "awsx": _awsx_outputs}
"""Outputs of packages that are no cloud; each registered cloud's come from its registry entry."""


def _outputs_for(package: str) -> _Outputs | None:
    for cloud in clouds.all_clouds():
        if cloud.package == package:
            handler: _Outputs = cloud.mock_outputs_function()
            return handler
    return _PACKAGE_OUTPUTS.get(package)


# ---------------------------------------------------------------- invokes
def _policy_document(args: dict[str, Any], context: CloudContext) -> dict[str, Any]:
    statements = []
    for statement in args.get("statements") or []:
        rendered: dict[str, Any] = {"Effect": statement.get("effect", "Allow")}
        if statement.get("sid"):
            rendered["Sid"] = statement["sid"]
        for key, name in (
            ("actions", "Action"),
            ("notActions", "NotAction"),
            ("resources", "Resource"),
            ("notResources", "NotResource"),
        ):
            if statement.get(key):
                values = statement[key]
                rendered[name] = values[0] if len(values) == 1 else values
        for key, name in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
            if statement.get(key):
                rendered[name] = {p.get("type"): p.get("identifiers") for p in statement[key]}
        if statement.get("conditions"):
            condition: dict[str, Any] = {}
            for item in statement["conditions"]:
                condition.setdefault(item.get("test"), {})[item.get("variable")] = item.get("values")
            rendered["Condition"] = condition
        statements.append(rendered)
    document = {"Version": args.get("version") or "2012-10-17", "Statement": statements}
    text = json.dumps(document, indent=2)
    return {"json": text, "minifiedJson": json.dumps(document, separators=(",", ":")), "id": digest(text)}


def _azs(args: dict[str, Any], context: CloudContext) -> dict[str, Any]:
    region = context.aws_region
    names = [f"{region}{letter}" for letter in "abcdef"]
    return {
        "names": names,
        "zoneIds": [f"use1-az{i + 1}" for i in range(len(names))],
        "id": region,
        "groupNames": [region] * len(names),
    }


def _k8s_yaml_decode(args: dict[str, Any], context: CloudContext) -> dict[str, Any]:
    return {"result": [doc for doc in yaml.safe_load_all(str(args.get("text", ""))) if doc]}


def _route53_zone(args: dict[str, Any], context: CloudContext) -> dict[str, Any]:
    # Route 53 returns the zone name with its trailing dot; programs often build record names from it.
    name = str(args.get("name") or "example.com").rstrip(".") + "."
    zone_id = str(args.get("zoneId") or "Z" + digest("route53", name, length=13).upper())
    return {
        "id": zone_id,
        "zoneId": zone_id,
        "name": name,
        "arn": f"arn:aws:route53:::hostedzone/{zone_id}",
        "nameServers": [f"ns-{index}.awsdns-{index:02d}.net" for index in (101, 202, 303, 404)],
        "primaryNameServer": "ns-101.awsdns-101.net",
        "privateZone": bool(args.get("privateZone", False)),
        "callerReference": digest("caller", name),
        "comment": "",
        "resourceRecordSetCount": 2,
        "tags": {},
    }


def _acm_certificate(args: dict[str, Any], context: CloudContext) -> dict[str, Any]:
    domain = str(args.get("domain") or "example.com")
    arn = f"arn:aws:acm:{context.aws_region}:{ACCOUNT_ID}:certificate/{_uuid(digest('acm', domain, length=32))}"
    return {"id": arn, "arn": arn, "domain": domain, "status": "ISSUED", "tags": {}}


def _ec2_subnet(args: dict[str, Any], context: CloudContext) -> dict[str, Any]:
    subnet_id = str(args.get("id") or "subnet-0default00000000a")
    return {
        "id": subnet_id,
        "arn": f"arn:aws:ec2:{context.aws_region}:{ACCOUNT_ID}:subnet/{subnet_id}",
        "vpcId": str(args.get("vpcId") or "vpc-0default000000000"),
        "cidrBlock": "172.31.0.0/20",
        "availabilityZone": str(args.get("availabilityZone") or f"{context.aws_region}a"),
        "availabilityZoneId": "use1-az1",
        "availableIpAddressCount": 4091,
        "defaultForAz": True,
        "mapPublicIpOnLaunch": True,
        "ownerId": ACCOUNT_ID,
        "state": "available",
        "tags": {},
    }


def _ec2_security_group(args: dict[str, Any], context: CloudContext) -> dict[str, Any]:
    group_id = str(args.get("id") or "sg-0default000000000")
    return {
        "id": group_id,
        "arn": f"arn:aws:ec2:{context.aws_region}:{ACCOUNT_ID}:security-group/{group_id}",
        "name": str(args.get("name") or "default"),
        "description": "default VPC security group",
        "vpcId": str(args.get("vpcId") or "vpc-0default000000000"),
        "tags": {},
    }


def _iam_role(args: dict[str, Any], context: CloudContext) -> dict[str, Any]:
    name = str(args.get("name") or "role")
    return {
        "id": name,
        "name": name,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}",
        "path": "/",
        "uniqueId": "AROA" + digest("role", name, length=17).upper(),
        "assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": []}),
        "createDate": "2026-01-01T00:00:00Z",
        "maxSessionDuration": 3600,
        "description": "",
        "tags": {},
    }


def _iam_policy(args: dict[str, Any], context: CloudContext) -> dict[str, Any]:
    arn = str(args.get("arn") or f"arn:aws:iam::{ACCOUNT_ID}:policy/{args.get('name') or 'policy'}")
    name = arn.rsplit("/", 1)[-1]
    return {
        "id": arn,
        "arn": arn,
        "name": name,
        "path": "/",
        "policyId": "ANPA" + digest("policy", arn, length=17).upper(),
        "policy": json.dumps({"Version": "2012-10-17", "Statement": []}),
        "description": "",
        "attachmentCount": 0,
        "tags": {},
    }


def _gcp_network(args: dict[str, Any], context: CloudContext) -> dict[str, Any]:
    project = str(args.get("project") or context.gcp_project)
    name = str(args.get("name") or "default")
    link = f"https://www.googleapis.com/compute/v1/projects/{project}/global/networks/{name}"
    return {
        "id": f"projects/{project}/global/networks/{name}",
        "name": name,
        "project": project,
        "selfLink": link,
        "networkId": int(digest("network", name), 16),
        "numericId": str(int(digest("network", name), 16)),
        "description": "",
        "subnetworksSelfLinks": [],
    }


def _gcp_subnetwork(args: dict[str, Any], context: CloudContext) -> dict[str, Any]:
    project = str(args.get("project") or context.gcp_project)
    region = str(args.get("region") or context.gcp_region)
    name = str(args.get("name") or "default")
    path = f"projects/{project}/regions/{region}/subnetworks/{name}"
    return {
        "id": path,
        "name": name,
        "project": project,
        "region": region,
        "selfLink": f"https://www.googleapis.com/compute/v1/{path}",
        "network": f"https://www.googleapis.com/compute/v1/projects/{project}/global/networks/default",
        "ipCidrRange": "10.128.0.0/20",
        "gatewayAddress": "10.128.0.1",
        "privateIpGoogleAccess": True,
        "secondaryIpRanges": [],
        "stackType": "IPV4_ONLY",
        "subnetworkId": int(digest("subnetwork", path), 16),
        "description": "",
    }


def _azure_resource_group(args: dict[str, Any], context: CloudContext) -> dict[str, Any]:
    name = str(args.get("resourceGroupName") or "resource-group")
    return {
        "id": f"/subscriptions/{AZURE_SUBSCRIPTION}/resourceGroups/{name}",
        "name": name,
        "location": context.azure_location,
        "type": "Microsoft.Resources/resourceGroups",
        "properties": {"provisioningState": "Succeeded"},
        "tags": {},
        "azureApiVersion": "2024-03-01",
    }


def _tls_certificate(args: dict[str, Any], context: CloudContext) -> dict[str, Any]:
    # A site's chain, root first, as the provider returns it; fingerprints are stable per URL.
    source = str(args.get("url") or args.get("content") or "certificate")
    chain = []
    for depth, subject in enumerate(("CN=Mock Root CA", "CN=Mock Intermediate CA", f"CN={source}")):
        chain.append(
            {
                "certPem": "-----BEGIN CERTIFICATE-----\nTU9DSw==\n-----END CERTIFICATE-----\n",
                "isCa": depth < 2,
                "issuer": "CN=Mock Root CA" if depth < 2 else "CN=Mock Intermediate CA",
                "subject": subject,
                "notBefore": "2026-01-01T00:00:00Z",
                "notAfter": "2027-01-01T00:00:00Z",
                "publicKeyAlgorithm": "RSA",
                "signatureAlgorithm": "SHA256-RSA",
                "serialNumber": str(int(digest("serial", source, str(depth), length=16), 16)),
                "sha1Fingerprint": digest("sha1", source, str(depth), length=40),
                "version": 3,
            }
        )
    return {"id": digest("chain", source, length=40), "certificates": chain, "url": args.get("url")}


def _aks_credentials(kind: str) -> InvokeHandler:
    def answer(args: dict[str, Any], context: CloudContext) -> dict[str, Any]:
        # The service returns each kubeconfig base64-encoded; programs decode it for a Kubernetes provider.
        cluster = str(args.get("resourceName") or "aks")
        server = f"https://{cluster}-{digest(cluster)}.hcp.{context.azure_location}.azmk8s.io:443"
        kubeconfig = yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": cluster, "cluster": {"server": server, "certificate-authority-data": "TU9DSw=="}}],
                "users": [{"name": f"{kind}_{cluster}", "user": {"token": "mock-token"}}],
                "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": f"{kind}_{cluster}"}}],
                "current-context": cluster,
            }
        )
        value = base64.b64encode(kubeconfig.encode()).decode()
        return {"kubeconfigs": [{"name": kind, "value": value}]}

    return answer


def _uuid(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-4{hex32[13:16]}-8{hex32[17:20]}-{hex32[20:32]}"


DEFAULT_INVOKES: dict[str, InvokeHandler] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": _azs,
    "aws:index/getRegion:getRegion": lambda a, c: {
        "name": c.aws_region,
        "region": c.aws_region,
        "id": c.aws_region,
        "endpoint": f"ec2.{c.aws_region}.amazonaws.com",
        "description": c.aws_region,
    },
    "aws:index/getCallerIdentity:getCallerIdentity": lambda a, c: {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/rollway-preview",
        "userId": "AIDAMOCKUSERID",
        "id": ACCOUNT_ID,
    },
    "aws:index/getPartition:getPartition": lambda a, c: {
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
        "id": "aws",
        "reverseDnsPrefix": "com.amazonaws",
    },
    "aws:ec2/getAmi:getAmi": lambda a, c: {
        "id": "ami-0abcdef1234567890",
        "imageId": "ami-0abcdef1234567890",
        "arn": f"arn:aws:ec2:{c.aws_region}::image/ami-0abcdef1234567890",
        "name": "al2023-ami-2023.0.20260101.0-kernel-6.1-x86_64",
        "architecture": "x86_64",
        "rootDeviceName": "/dev/xvda",
    },
    "aws:ec2/getVpc:getVpc": lambda a, c: {
        "id": "vpc-0default000000000",
        "cidrBlock": "172.31.0.0/16",
        "default": True,
        "arn": f"arn:aws:ec2:{c.aws_region}:{ACCOUNT_ID}:vpc/vpc-0default000000000",
    },
    "aws:ec2/getSubnets:getSubnets": lambda a, c: {
        "ids": ["subnet-0default00000000a", "subnet-0default00000000b"],
        "id": c.aws_region,
    },
    "aws:iam/getPolicyDocument:getPolicyDocument": _policy_document,
    "aws:elb/getServiceAccount:getServiceAccount": lambda a, c: {"arn": "arn:aws:iam::127311923021:root", "id": "127311923021"},
    "gcp:organizations/getProject:getProject": lambda a, c: {
        "projectId": a.get("projectId") or c.gcp_project,
        "number": "123456789012",
        "name": c.gcp_project,
        "id": f"projects/{c.gcp_project}",
    },
    "gcp:organizations/getClientConfig:getClientConfig": lambda a, c: {
        "project": c.gcp_project,
        "region": c.gcp_region,
        "zone": f"{c.gcp_region}-a",
        "accessToken": "mock-token",
        "id": "mock",
    },
    "gcp:compute/getZones:getZones": lambda a, c: {
        "names": [f"{a.get('region') or c.gcp_region}-{z}" for z in "abc"],
        "id": c.gcp_project,
        "project": c.gcp_project,
    },
    "gcp:compute/getDefaultServiceAccount:getDefaultServiceAccount": lambda a, c: {
        "email": "123456789012-compute@developer.gserviceaccount.com",
        "id": "default",
        "name": "default",
        "project": c.gcp_project,
    },
    "gcp:compute/getImage:getImage": lambda a, c: {
        "selfLink": "https://www.googleapis.com/compute/v1/projects/debian-cloud/global/images/debian-12-bookworm-v20260101",
        "name": "debian-12-bookworm-v20260101",
        "id": "debian-12",
        "family": a.get("family") or "debian-12",
    },
    "azure-native:authorization:getClientConfig": lambda a, c: {
        "clientId": "22222222-2222-2222-2222-222222222222",
        "objectId": "33333333-3333-3333-3333-333333333333",
        "subscriptionId": AZURE_SUBSCRIPTION,
        "tenantId": AZURE_TENANT,
    },
    "azure-native:authorization:getClientToken": lambda a, c: {"token": "mock-token"},
    "kubernetes:yaml:decode": _k8s_yaml_decode,
    "aws:route53/getZone:getZone": _route53_zone,
    "aws:acm/getCertificate:getCertificate": _acm_certificate,
    "aws:ec2/getSubnet:getSubnet": _ec2_subnet,
    "aws:ec2/getSecurityGroup:getSecurityGroup": _ec2_security_group,
    "aws:iam/getRole:getRole": _iam_role,
    "aws:iam/getPolicy:getPolicy": _iam_policy,
    "gcp:compute/getNetwork:getNetwork": _gcp_network,
    "gcp:compute/getSubnetwork:getSubnetwork": _gcp_subnetwork,
    "azure-native:resources:getResourceGroup": _azure_resource_group,
    "tls:index/getCertificate:getCertificate": _tls_certificate,
    "azure-native:containerservice:listManagedClusterUserCredentials": _aks_credentials("clusterUser"),
    "azure-native:containerservice:listManagedClusterAdminCredentials": _aks_credentials("clusterAdmin"),
}


@dataclass
class PlausibleMocks(pulumi.runtime.Mocks):
    """Mocks answering like the clouds (see module docstring)."""

    resolve_outputs: bool = True
    context: CloudContext = field(default_factory=CloudContext)
    invokes: dict[str, InvokeHandler] = field(default_factory=dict)
    """Extra or overriding invoke handlers, by token."""
    resource_outputs: dict[str, OutputsHandler] = field(default_factory=dict)
    """Extra computed outputs for a resource type (merged over the plausible ones)."""
    unanswered_invokes: list[str] = field(default_factory=list)
    """Invoke tokens nobody answered: no handler, and no result type in the SDK (the program got an empty result)."""
    derived_invokes: list[str] = field(default_factory=list)
    """Invoke tokens with no handler whose answer was derived from the SDK's result type (see `derived`)."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        if args.typ.startswith("pulumi:providers:") or args.typ == "pulumi:pulumi:StackReference":
            state: dict[str, Any] = dict(args.inputs)
            if args.typ == "pulumi:pulumi:StackReference" and pulumi.runtime.is_dry_run():
                # No backend offline: another stack's outputs are unknown, as a preview shows a value that
                # is only known later; `require_output(...)` then stays unknown instead of raising KeyError.
                state["outputs"] = rpc.UNKNOWN
                state["secretOutputNames"] = rpc.UNKNOWN
            elif args.typ == "pulumi:pulumi:StackReference":
                state.setdefault("outputs", {})
                state.setdefault("secretOutputNames", [])
            return f"{args.name}-{digest(args.typ, args.name)}", state
        types = derived.resource_field_types(args.typ)
        if not self.resolve_outputs:
            # As in a real preview of a create: inputs are known, everything the provider computes is not. An input
            # whose shape the provider changes in its outputs (a list of ids in, a map by id out) is not echoed:
            # it stays unknown, as the provider would compute it.
            return "", _fitting(dict(args.inputs), types)
        package = args.typ.split(":", 1)[0]
        handler = _outputs_for(package)
        computed: dict[str, Any]
        if handler is None:
            resource_id, computed = f"{args.name}-{digest(args.typ, args.name)}", {}
        else:
            resource_id, computed = handler(args, self.context)
        state = {**computed, **args.inputs} if package != "kubernetes" else computed
        extra = self.resource_outputs.get(args.typ)
        if extra is not None:
            state.update(extra(args, self.context))
        state = _fitting(state, types)
        if "outputContent" in types and "outputContent" not in state:
            template_outputs = _template_outputs(args.inputs.get("templateContent"), f"{args.typ}::{args.name}", self.context)
            if template_outputs is not None:
                state["outputContent"] = template_outputs
        missing = [name for name in types if name not in state and name not in ("id", "urn")]
        if missing:
            # Every other output the SDK declares gets a value of its declared type, so `apply` chains over
            # them run (`cluster.kube_config.apply(...)`, `status.load_balancer.ingress[0]`).
            cls = derived.resource_class(args.typ)
            filled = derived.derive(cls, f"{args.typ}::{args.name}", self.context) if cls is not None else {}
            state.update({name: filled[name] for name in missing if name in filled})
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[Any, Any]:  # type: ignore[override]
        # A bare dict means "no check failures" to the MockMonitor.
        handler = self.invokes.get(args.token) or DEFAULT_INVOKES.get(args.token)
        answer = handler(dict(args.args), self.context) if handler is not None else {}
        result_type = derived.invoke_result_type(args.token)
        if result_type is None:
            if handler is None:
                self.unanswered_invokes.append(args.token)
            return answer
        # Every field of the SDK's result type gets a value of its type; a handler's own answers win.
        seed = args.token + "::" + json.dumps(args.args, sort_keys=True, default=str)
        filled = derived.derive(result_type, seed, self.context)
        if handler is None:
            self.derived_invokes.append(args.token)
        return {**filled, **{key: value for key, value in answer.items() if value is not None}}


def _template_outputs(template: Any, seed: str, context: CloudContext) -> str | None:
    """An ARM template deployment's `outputContent`: every output its template declares, as the JSON text Azure
    returns (`{"name": {"type": "String", "value": ...}}`), with a plausible value for the declared type. None
    when the template is not JSON text with an `outputs` object."""
    try:
        declared = json.loads(template)["outputs"] if isinstance(template, str) else None
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(declared, dict):
        return None
    samples: dict[str, Any] = {"int": 1, "bool": False, "array": [], "object": {}}
    content = {}
    for name, spec in declared.items():
        kind = str(spec.get("type", "string")).lower() if isinstance(spec, dict) else "string"
        value = samples.get(kind, derived.plausible_text(str(name), seed, context))
        content[str(name)] = {"type": kind.capitalize(), "value": value}
    return json.dumps(content)


def _fitting(state: dict[str, Any], types: Mapping[str, Any]) -> dict[str, Any]:
    """`state` without the values (or parts of values) whose shape does not fit the resource's declared output types."""
    if not types:
        return state
    kept = {key: derived.fitted(value, types[key]) if key in types else value for key, value in state.items()}
    return {key: value for key, value in kept.items() if value is not derived.MISFIT}

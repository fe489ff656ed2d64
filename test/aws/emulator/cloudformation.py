"""Deploys a synthesized cloud assembly to the emulated account, as `cdk deploy` would: file assets published
under the object keys of the asset manifest, then the template's resources with Refs, GetAtts, Subs and Joins
resolved to the emulated names. Only what the pipeline's runtime touches is created in moto: buckets, queues,
roles and their policies, the Glue database, tables, jobs and crawler, the KMS key. Iceberg tables
(OpenTableFormatInput) get their first metadata file from the Glue STAND-IN in iceberg_tables.py. Table optimizers
(AWS::Glue::TableOptimizer, which moto lacks) are a STAND-IN: validated against the resource's CloudFormation
schema and the stack, and recorded in Deployment.optimizers. Everything else (alarms, dashboards, Athena,
QuickSight, log groups, bucket policies) is named and resolved, not created."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .account import ACCOUNT, PARTITION, REGION, EmulatedAccount
from .iceberg_tables import create_iceberg_table

PSEUDO = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::Partition": PARTITION,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NoValue": None,
}


@dataclass
class Physical:
    ref: str
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class Deployment:
    """A deployed stack: its template, the physical names of its resources, and the assembly it came from."""

    stack_name: str
    assembly: Path
    template: dict
    physical: dict[str, Physical]
    conditions: dict[str, bool]
    optimizers: dict[str, dict] = field(default_factory=dict)  # logical id -> resolved properties (STAND-IN)

    def resources(self, type_name: str) -> dict[str, dict]:
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == type_name}

    def resolve(self, value: Any) -> Any:
        return Resolver(self.physical, self.conditions, stack_pseudo(self.stack_name)).resolve(value)

    def properties(self, logical_id: str) -> dict:
        return self.resolve(self.template["Resources"][logical_id].get("Properties", {}))

    def output(self, name: str) -> str:
        return self.resolve(self.template["Outputs"][name]["Value"])


def stack_pseudo(stack: str) -> dict[str, Any]:
    """Pseudo parameters of a stack: the account's, plus its name and a fixed id (one deployment per account)."""
    stack_id = f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/{stack}/5c3b2d1e-7f60-11ef-9b1c-0a1b2c3d4e5f"
    return {**PSEUDO, "AWS::StackName": stack, "AWS::StackId": stack_id}


class Resolver:
    """CloudFormation intrinsic functions over known physical names."""

    def __init__(self, physical: dict[str, Physical], conditions: dict[str, bool], pseudo: dict[str, Any]):
        self.physical = physical
        self.conditions = conditions
        self.pseudo = pseudo

    def ref(self, name: str) -> Any:
        if name in self.pseudo:
            return self.pseudo[name]
        if name == "BootstrapVersion":
            return "30"
        if name not in self.physical:
            raise KeyError(f"Ref to unknown resource {name}")
        return self.physical[name].ref

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [v for v in (self.resolve(v) for v in value) if v is not None]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((fn, arg),) = value.items()
            handler: Callable[[Any], Any] | None = {
                "Ref": lambda a: self.ref(a),
                "Fn::GetAtt": self._get_att,
                "Fn::Join": lambda a: a[0].join(str(x) for x in self.resolve(a[1])),
                "Fn::Sub": self._sub,
                "Fn::Select": lambda a: self.resolve(a[1])[int(self.resolve(a[0]))],
                "Fn::Split": lambda a: str(self.resolve(a[1])).split(a[0]),
                "Fn::If": lambda a: self.resolve(a[1] if self.conditions[a[0]] else a[2]),
                "Fn::GetAZs": lambda a: [f"{REGION}a", f"{REGION}b"],
            }.get(fn)
            if handler is not None:
                return handler(arg)
        return {k: v for k, v in ((k, self.resolve(v)) for k, v in value.items()) if v is not None}

    def _get_att(self, arg: Any) -> str:
        name, attr = arg if isinstance(arg, list) else arg.split(".", 1)
        attrs = self.physical[name].attrs
        if attr not in attrs:
            raise KeyError(f"GetAtt {name}.{attr}: the emulation knows {sorted(attrs)}")
        return attrs[attr]

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def replace(match: re.Match) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name:
                return str(self._get_att(name))
            return str(self.ref(name))

        return re.sub(r"\$\{([^}!]+)\}", replace, text)

    def condition(self, expr: Any) -> bool:
        fn, arg = next(iter(expr.items()))
        if fn == "Fn::Equals":
            return self.resolve(arg[0]) == self.resolve(arg[1])
        if fn == "Fn::Or":
            return any(self._cond(a) for a in arg)
        if fn == "Fn::And":
            return all(self._cond(a) for a in arg)
        if fn == "Fn::Not":
            return not self._cond(arg[0])
        raise ValueError(f"condition function {fn} is not emulated")

    def _cond(self, a: Any) -> bool:
        return self.conditions[a["Condition"]] if "Condition" in a else self.condition(a)


def _arn(service: str, resource: str, region: str = REGION) -> str:
    return f"arn:{PARTITION}:{service}:{region}:{ACCOUNT}:{resource}"


def _name_for(stack: str, logical_id: str, max_len: int = 63, lower: bool = False) -> str:
    name = f"{stack}-{logical_id}"[:max_len]
    return name.lower() if lower else name


def plan_names(stack: str, template: dict, account: EmulatedAccount) -> dict[str, Physical]:
    """Physical names and attributes of every resource, as CloudFormation would generate them; the KMS key is
    created here, since its id is generated by the service."""
    physical: dict[str, Physical] = {}
    for lid, res in template["Resources"].items():
        props, kind = res.get("Properties", {}), res["Type"]
        explicit = {
            "AWS::S3::Bucket": "BucketName",
            "AWS::SQS::Queue": "QueueName",
            "AWS::IAM::Role": "RoleName",
            "AWS::Glue::Job": "Name",
            "AWS::Glue::Crawler": "Name",
            "AWS::Glue::Workflow": "Name",
            "AWS::Logs::LogGroup": "LogGroupName",
            "AWS::Lambda::Function": "FunctionName",
        }.get(kind)
        name = props.get(explicit) if explicit else None
        if isinstance(name, dict):
            name = None  # resolved later if ever needed; the pipeline names none of these with intrinsics
        if kind == "AWS::S3::Bucket":
            n = name or _name_for(stack, lid, lower=True)
            physical[lid] = Physical(
                n,
                {
                    "Arn": f"arn:{PARTITION}:s3:::{n}",
                    "DomainName": f"{n}.s3.amazonaws.com",
                    "RegionalDomainName": f"{n}.s3.{REGION}.amazonaws.com",
                },
            )
        elif kind == "AWS::SQS::Queue":
            n = name or _name_for(stack, lid, 80)
            physical[lid] = Physical(
                f"{account.endpoint}/{ACCOUNT}/{n}",
                {"Arn": _arn("sqs", n), "QueueName": n, "QueueUrl": f"{account.endpoint}/{ACCOUNT}/{n}"},
            )
        elif kind == "AWS::IAM::Role":
            n = name or _name_for(stack, lid, 64)
            physical[lid] = Physical(
                n, {"Arn": f"arn:{PARTITION}:iam::{ACCOUNT}:role/{n}", "RoleId": f"AROA{lid[:16].upper()}"}
            )
        elif kind == "AWS::KMS::Key":
            key_id = account.client("kms").create_key(Description=lid)["KeyMetadata"]["KeyId"]
            physical[lid] = Physical(key_id, {"Arn": _arn("kms", f"key/{key_id}"), "KeyId": key_id})
        elif kind == "AWS::SNS::Topic":
            n = props.get("TopicName") or _name_for(stack, lid, 256)
            physical[lid] = Physical(_arn("sns", n), {"TopicName": n, "TopicArn": _arn("sns", n)})
        elif kind == "AWS::Lambda::Function":
            n = name or _name_for(stack, lid, 64)
            physical[lid] = Physical(n, {"Arn": _arn("lambda", f"function:{n}")})
        elif kind == "AWS::Logs::LogGroup":
            n = name or _name_for(stack, lid, 512)
            physical[lid] = Physical(n, {"Arn": _arn("logs", f"log-group:{n}:*")})
        elif kind == "AWS::Glue::Database":
            physical[lid] = Physical(props["DatabaseInput"]["Name"])
        elif kind == "AWS::Glue::Table":
            physical[lid] = Physical(props["TableInput"]["Name"])
        elif kind == "AWS::Events::Rule":
            n = props.get("Name") or _name_for(stack, lid, 64)
            physical[lid] = Physical(n, {"Arn": _arn("events", f"rule/{n}")})
        else:
            n = name or props.get("Name") or _name_for(stack, lid, 128)
            parts = kind.split("::")
            service, resource = parts[1].lower(), parts[-1].lower()
            physical[lid] = Physical(
                n if isinstance(n, str) else _name_for(stack, lid, 128), {"Arn": _arn(service, f"{resource}/{lid}")}
            )
    return physical


def _asset_bucket_name(template_value: str) -> str:
    return re.sub(r"\$\{(AWS::[A-Za-z]+)\}", lambda m: str(PSEUDO[m.group(1)]), template_value)


def publish_assets(assembly: Path, stack: str, account: EmulatedAccount) -> dict[str, str]:
    """Uploads every file asset as `cdk deploy` does (directories zipped), into the bootstrap asset bucket
    (created here, as `cdk bootstrap` would). Returns s3://bucket/key -> the asset's source path."""
    manifest = json.loads((assembly / f"{stack}.assets.json").read_text())
    s3 = account.client("s3")
    published: dict[str, str] = {}
    for asset in manifest.get("files", {}).values():
        source = assembly / asset["source"]["path"]
        for dest in asset["destinations"].values():
            bucket = _asset_bucket_name(dest["bucketName"])
            if bucket not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
                s3.create_bucket(Bucket=bucket)
            body = _zip_directory(source) if asset["source"].get("packaging") == "zip" else source.read_bytes()
            s3.put_object(Bucket=bucket, Key=dest["objectKey"], Body=body)
            published[f"s3://{bucket}/{dest['objectKey']}"] = str(source)
    return published


def _zip_directory(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def deploy(assembly: Path, stack: str, account: EmulatedAccount) -> Deployment:
    """Creates the stack's runtime resources in the emulated account (see the module comment)."""
    template = json.loads((assembly / f"{stack}.template.json").read_text())
    publish_assets(assembly, stack, account)
    physical = plan_names(stack, template, account)
    resolver = Resolver(physical, {}, stack_pseudo(stack))
    for name, expr in template.get("Conditions", {}).items():
        resolver.conditions[name] = resolver.condition(expr)
    deployment = Deployment(stack, assembly, template, physical, resolver.conditions)
    for creator in (_create_buckets, _create_queues, _create_roles, _create_glue, _record_table_optimizers):
        creator(deployment, account)
    return deployment


def _create_buckets(d: Deployment, account: EmulatedAccount) -> None:
    s3 = account.client("s3")
    for lid in d.resources("AWS::S3::Bucket"):
        props = d.properties(lid)
        name = d.physical[lid].ref
        s3.create_bucket(Bucket=name)
        if (props.get("VersioningConfiguration") or {}).get("Status") == "Enabled":
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def _create_queues(d: Deployment, account: EmulatedAccount) -> None:
    sqs = account.client("sqs")
    for lid in d.resources("AWS::SQS::Queue"):
        props = d.properties(lid)
        attributes = {k: str(props[k]) for k in ("VisibilityTimeout", "MessageRetentionPeriod") if k in props}
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        sqs.create_queue(QueueName=d.physical[lid].attrs["QueueName"], Attributes=attributes)


def _create_roles(d: Deployment, account: EmulatedAccount) -> None:
    """Roles with their inline and managed policies as synthesized. moto cannot evaluate service principals in
    trust policies, so the role trusts the emulator's administrator (acting as the services), and
    EmulatedAccount.assume() checks the synthesized trust policy itself."""
    iam = account.client("iam")
    trust_for_moto = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": account.admin_arn}, "Action": "sts:AssumeRole"}],
    }
    for lid in d.resources("AWS::IAM::Role"):
        props = d.properties(lid)
        name = d.physical[lid].ref
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust_for_moto))
        account.role_trust[d.physical[lid].attrs["Arn"]] = props["AssumeRolePolicyDocument"]
        for arn in props.get("ManagedPolicyArns", []):
            iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        for policy in props.get("Policies", []):
            iam.put_role_policy(
                RoleName=name, PolicyName=policy["PolicyName"], PolicyDocument=json.dumps(policy["PolicyDocument"])
            )
    for lid in d.resources("AWS::IAM::Policy"):
        props = d.properties(lid)
        for role in props.get("Roles", []):
            iam.put_role_policy(
                RoleName=role, PolicyName=props["PolicyName"], PolicyDocument=json.dumps(props["PolicyDocument"])
            )


def _create_glue(d: Deployment, account: EmulatedAccount) -> None:
    glue = account.client("glue")
    for lid in d.resources("AWS::Glue::Database"):
        glue.create_database(DatabaseInput=d.properties(lid)["DatabaseInput"])
    for lid in d.resources("AWS::Glue::Table"):
        props = d.properties(lid)
        if "OpenTableFormatInput" in props:
            create_iceberg_table(
                glue, account.client("s3"), props["DatabaseName"], props["TableInput"], props["OpenTableFormatInput"]
            )
        else:
            glue.create_table(DatabaseName=props["DatabaseName"], TableInput=props["TableInput"])
    for lid in d.resources("AWS::Glue::Job"):
        props = d.properties(lid)
        job = {
            k: props[k]
            for k in (
                "Role",
                "Command",
                "DefaultArguments",
                "GlueVersion",
                "WorkerType",
                "NumberOfWorkers",
                "Timeout",
                "MaxRetries",
                "SecurityConfiguration",
                "Description",
                "ExecutionClass",
            )
            if k in props
        }
        if "ExecutionProperty" in props:
            job["ExecutionProperty"] = props["ExecutionProperty"]
        glue.create_job(Name=d.physical[lid].ref, **job)
    for lid in d.resources("AWS::Glue::Crawler"):
        props = d.properties(lid)
        glue.create_crawler(
            Name=d.physical[lid].ref,
            Role=props["Role"],
            DatabaseName=props["DatabaseName"],
            TablePrefix=props.get("TablePrefix", ""),
            Targets=props["Targets"],
            **({"Schedule": props["Schedule"]["ScheduleExpression"]} if "Schedule" in props else {}),
        )


# ---- AWS::Glue::TableOptimizer STAND-IN ------------------------------------------------------------------------

OPTIMIZER_TYPES = ("compaction", "retention", "orphan_file_deletion")
COMPACTION_STRATEGIES = ("binpack", "sort", "z-order")


def _references(d: Deployment, logical_id: str) -> set[str]:
    """The logical ids a resource depends on: DependsOn, Refs and GetAtts (and ${...} in Subs), as CloudFormation
    orders creation."""
    res = d.template["Resources"][logical_id]
    found = set(res.get("DependsOn", []) if isinstance(res.get("DependsOn"), list) else [res.get("DependsOn")])

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k == "Ref" and isinstance(v, str):
                    found.add(v)
                elif k == "Fn::GetAtt":
                    found.add(v[0] if isinstance(v, list) else v.split(".", 1)[0])
                elif k == "Fn::Sub":
                    found.update(
                        n.split(".", 1)[0] for n in re.findall(r"\$\{([^}!]+)\}", v if isinstance(v, str) else v[0])
                    )
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(res.get("Properties", {}))
    return {f for f in found if f in d.template["Resources"]}


def _positive_int(errors: list[str], where: str, value: Any) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        errors.append(f"{where} must be a positive integer, got {value!r}")


def table_optimizer_errors(
    d: Deployment, account: EmulatedAccount, logical_id: str, catalog_tables: dict[tuple[str, str], str]
) -> list[str]:
    """What CloudFormation or Glue would refuse in an AWS::Glue::TableOptimizer (its schema's required properties
    and types, the optimizer type, an Iceberg table of the stack it is created after, a role of the stack that Glue
    may assume). `catalog_tables` maps (database, table) to the logical id of the stack's Iceberg tables."""
    props = d.properties(logical_id)
    errors = []
    for required in ("CatalogId", "DatabaseName", "TableName", "Type", "TableOptimizerConfiguration"):
        if required not in props:
            errors.append(f"{required} is required")
    if props.get("Type") not in OPTIMIZER_TYPES:
        errors.append(f"Type {props.get('Type')!r} is not one of {OPTIMIZER_TYPES}")
    if "CatalogId" in props and props["CatalogId"] != ACCOUNT:
        errors.append(f"CatalogId {props['CatalogId']!r} is not the account's catalog {ACCOUNT}")
    table_lid = catalog_tables.get((props.get("DatabaseName"), props.get("TableName")))
    if table_lid is None:
        errors.append(
            f"table {props.get('DatabaseName')}.{props.get('TableName')} is not an Iceberg table of the stack "
            f"(optimizers work on Iceberg tables only); the stack's are {sorted(catalog_tables)}"
        )
    elif table_lid not in _references(d, logical_id):
        errors.append(
            f"it does not depend on its table {table_lid} (no Ref, GetAtt or DependsOn): CloudFormation may create "
            f"it first, and Glue refuses an optimizer of a table that does not exist"
        )
    config = props.get("TableOptimizerConfiguration", {})
    if not isinstance(config.get("Enabled"), bool):
        errors.append(f"TableOptimizerConfiguration.Enabled is required and boolean, got {config.get('Enabled')!r}")
    roles = {d.physical[r].attrs["Arn"]: r for r in d.resources("AWS::IAM::Role")}
    role = config.get("RoleArn")
    if role not in roles:
        errors.append(f"TableOptimizerConfiguration.RoleArn {role!r} is not a role of the stack ({sorted(roles)})")
    else:
        services = account.trusted_services(role)
        if "glue.amazonaws.com" not in services:
            errors.append(f"role {role} does not trust glue.amazonaws.com (it trusts {sorted(services)})")
    retention = config.get("RetentionConfiguration", {}).get("IcebergConfiguration", {})
    _positive_int(errors, "SnapshotRetentionPeriodInDays", retention.get("SnapshotRetentionPeriodInDays"))
    _positive_int(errors, "NumberOfSnapshotsToRetain", retention.get("NumberOfSnapshotsToRetain"))
    strategy = config.get("CompactionConfiguration", {}).get("IcebergConfiguration", {}).get("Strategy")
    if strategy is not None and strategy not in COMPACTION_STRATEGIES:
        errors.append(f"compaction Strategy {strategy!r} is not one of {COMPACTION_STRATEGIES}")
    orphans = config.get("OrphanFileDeletionConfiguration", {}).get("IcebergConfiguration", {})
    _positive_int(errors, "OrphanFileRetentionPeriodInDays", orphans.get("OrphanFileRetentionPeriodInDays"))
    return errors


def _record_table_optimizers(d: Deployment, account: EmulatedAccount) -> None:
    """STAND-IN for AWS::Glue::TableOptimizer (moto has no CreateTableOptimizer): each is checked as above and
    recorded; two optimizers of one type on one table are refused, as Glue allows one per type."""
    catalog_tables = {}
    for lid in d.resources("AWS::Glue::Table"):
        props = d.properties(lid)
        if "OpenTableFormatInput" in props:
            catalog_tables[(props["DatabaseName"], props["TableInput"]["Name"])] = lid
    seen: dict[tuple, str] = {}
    for lid in d.resources("AWS::Glue::TableOptimizer"):
        errors = table_optimizer_errors(d, account, lid, catalog_tables)
        props = d.properties(lid)
        key = (props.get("DatabaseName"), props.get("TableName"), props.get("Type"))
        if key in seen:
            errors.append(f"{seen[key]} is already the {key[2]} optimizer of {key[0]}.{key[1]}")
        if not errors:
            errors = _optimizer_role_errors(d, account, props)
        if errors:
            raise ValueError(f"AWS::Glue::TableOptimizer {lid} would fail to deploy: " + "; ".join(errors))
        seen[key] = lid
        d.optimizers[lid] = props


def _optimizer_role_errors(d: Deployment, account: EmulatedAccount, props: dict) -> list[str]:
    """Glue checks the optimizer's role when the optimizer is created: here, as Glue, the role reads the table's
    catalog entry and lists its location (IAM enforced by the emulated account)."""
    from botocore.exceptions import ClientError

    creds = account.assume(props["TableOptimizerConfiguration"]["RoleArn"], "glue.amazonaws.com")
    try:
        table = account.client("glue", creds).get_table(DatabaseName=props["DatabaseName"], Name=props["TableName"])
        location = (
            table["Table"].get("StorageDescriptor", {}).get("Location")
            or table["Table"]["Parameters"]["metadata_location"].rsplit("/metadata/", 1)[0]
        )
        bucket, _, prefix = location.split("://", 1)[1].partition("/")
        account.client("s3", creds).list_objects_v2(Bucket=bucket, Prefix=prefix.rstrip("/") + "/", MaxKeys=1)
    except ClientError as err:
        return [f"its role cannot reach the table: {err}"]
    return []

"""moto's server with two additions:
- Glue actions are authorized against the catalog, database and table ARNs they touch, as IAM does, instead of
  moto's "*" (which no scoped policy matches), and refused as Glue refuses them (JSON AccessDeniedException, which
  the AWS SDK for Java v2 in Iceberg's GlueCatalog parses; moto answers XML);
- a SigV4 signature is checked over exactly the headers the client signed: the AWS SDK for Java v1 (Hadoop's
  S3A, i.e. Spark on S3) signs User-Agent, which botocore, and so moto, leaves out;
- DeleteObjects is authorized per key against the caller's identity policies (s3:DeleteObject on each object
  ARN, as S3 does); moto checks the bucket ARN, then only bucket policies. If any key is denied, the whole
  request is answered "AccessDenied" for every key (stricter than S3, never looser);
- GetObject and HeadObject of a key that does not exist answer 403 AccessDenied unless the caller may s3:ListBucket
  the bucket, as S3 does (moto answers 404 NoSuchKey to anyone allowed the Get);
- UpdateTable with a VersionId is refused with ConcurrentModificationException unless the table is still at that
  version, as Glue does: Iceberg's GlueCatalog commits through it (optimistic locking), and moto ignores it.

Run as `python3 moto_server.py -H 127.0.0.1 -p PORT`, with INITIAL_NO_AUTH_ACTION_COUNT set to turn IAM on.
moto already authorizes S3 (bucket/object ARNs), SQS (queue ARN), IAM and STS by resource; other services it
authorizes by action only. IAM conditions other than StringEquals are not evaluated by moto.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from botocore.awsrequest import HTTPHeaders
from moto.core.responses import BaseResponse
from moto.glue.responses import GlueResponse
from moto.iam.access_control import IAMRequestBase
from moto.s3.exceptions import BucketAccessDeniedError, S3AccessDeniedError
from moto.s3.responses import S3Response
from werkzeug.exceptions import HTTPException

ACCOUNT = "123456789012"


def glue_resource_arns(action: str, params: dict[str, Any], region: str, account: str = ACCOUNT) -> list[str]:
    """The ARNs IAM checks for a Glue Data Catalog action: the catalog, then the database, then the table
    (Glue's "resource-level permissions for catalog objects"); other Glue resources by their own ARN."""
    base = f"arn:aws:glue:{region}:{account}"
    database = params.get("DatabaseName")
    if database is None and action in ("GetDatabase", "DeleteDatabase", "UpdateDatabase"):
        database = params.get("Name")
    if database is None and action == "CreateDatabase":
        database = (params.get("DatabaseInput") or {}).get("Name")
    table = params.get("TableName")
    if table is None and action in ("GetTable", "DeleteTable", "GetTableVersions"):
        table = params.get("Name")
    if table is None and action in ("CreateTable", "UpdateTable"):
        table = (params.get("TableInput") or {}).get("Name")
    if database is not None:
        arns = [f"{base}:catalog", f"{base}:database/{database}"]
        if table is not None:
            arns.append(f"{base}:table/{database}/{table}")
        elif action in ("GetTables", "SearchTables", "DeleteDatabase"):
            arns.append(f"{base}:table/{database}/*")
        return arns
    if action in ("GetDatabases", "SearchTables"):
        return [f"{base}:catalog"]
    for key, kind in (("JobName", "job"), ("CrawlerName", "crawler"), ("WorkflowName", "workflow")):
        if key in params:
            return [f"{base}:{kind}/{params[key]}"]
    if action in ("GetJob", "GetCrawler", "GetWorkflow", "GetTrigger") and "Name" in params:
        kind = {"GetJob": "job", "GetCrawler": "crawler", "GetWorkflow": "workflow", "GetTrigger": "trigger"}[action]
        return [f"{base}:{kind}/{params['Name']}"]
    return ["*"]


_original_call_action = BaseResponse.call_action


def _call_action(self: BaseResponse) -> Any:
    if not isinstance(self, GlueResponse):
        return _original_call_action(self)
    params = json.loads(self.body or "{}")
    arns = glue_resource_arns(self._get_action(), params, self.region, self.current_account)
    try:
        for arn in arns:
            self._authenticate_and_authorize_normal_action(arn)
    except HTTPException as http_error:  # answered as Glue answers: JSON, AccessDeniedException (moto sends XML)
        message = getattr(http_error, "message", str(http_error))
        body = json.dumps({"__type": "AccessDeniedException", "Message": message})
        headers = {
            "status": 403,
            "x-amzn-ErrorType": "AccessDeniedException",
            "Content-Type": "application/x-amz-json-1.1",
        }
        return 403, headers, body
    self._determine_resource = lambda: arns[-1]  # type: ignore[attr-defined]
    return _original_call_action(self)


BaseResponse.call_action = _call_action  # type: ignore[method-assign]


def _calculate_signature(self: IAMRequestBase) -> str:
    signed = set(self._get_string_between("SignedHeaders=", ",", self._headers["Authorization"]).split(";"))
    auth = self._create_auth(self._access_key.create_credentials())

    def headers_to_sign(request: Any) -> HTTPHeaders:
        header_map = HTTPHeaders()
        for name, value in request.headers.items():
            if name.lower() in signed:
                header_map[name.lower()] = value
        return header_map

    auth.headers_to_sign = headers_to_sign  # type: ignore[method-assign]
    request = self._create_aws_request()
    canonical_request = auth.canonical_request(request)
    return auth.signature(auth.string_to_sign(request, canonical_request), request)


IAMRequestBase._calculate_signature = _calculate_signature  # type: ignore[method-assign]

_original_delete_keys = S3Response._bucket_response_delete_keys


def _delete_keys(self: S3Response, bucket_name: str, authenticated: bool = True) -> Any:
    import xmltodict

    objects = xmltodict.parse(self.body, strip_whitespace=False).get("Delete", {}).get("Object", [])
    objects = objects if isinstance(objects, list) else [objects]
    try:
        for obj in objects:
            self._authenticate_and_authorize_s3_action(bucket_name=bucket_name, key_name=obj["Key"])
    except (BucketAccessDeniedError, S3AccessDeniedError):
        return _original_delete_keys(self, bucket_name, authenticated=False)
    return _original_delete_keys(self, bucket_name, authenticated=True)


S3Response._bucket_response_delete_keys = _delete_keys  # type: ignore[method-assign]

_original_update_table = GlueResponse.update_table


def _update_table(self: GlueResponse) -> Any:
    from moto.core.exceptions import JsonRESTError

    params = json.loads(self.body or "{}")
    expected = params.get("VersionId")
    if expected is not None:
        table = self.glue_backend.get_table(params["DatabaseName"], params["TableInput"]["Name"])
        current = str(table._current_version)
        if current != str(expected):
            raise JsonRESTError(
                "ConcurrentModificationException",
                f"Table {params['DatabaseName']}.{params['TableInput']['Name']} is at version {current}, "
                f"not the VersionId {expected} of the update",
            )
    return _original_update_table(self)


GlueResponse.update_table = _update_table  # type: ignore[method-assign]

_original_key_response_get = S3Response._key_response_get
_original_head_object = S3Response.head_object


def _may_list_bucket(self: S3Response, bucket_name: str) -> bool:
    """Whether the caller's identity policies allow s3:ListBucket on the bucket (only once IAM is on)."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.iam.access_control import S3IAMRequest

    if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
        return True
    request = S3IAMRequest(
        account_id=self.current_account,
        method="GET",
        path=self.raw_path,
        data=self.data,
        body=self.raw_body,
        headers=self.headers,
        action="ListBucket",
    )
    try:
        request.check_action_permitted(f"arn:aws:s3:::{bucket_name}")
    except (BucketAccessDeniedError, S3AccessDeniedError):
        return False
    return True


def _missing(self: S3Response, bucket_name: str, key_name: str) -> bool:
    from moto.s3.exceptions import S3ClientError

    try:
        return self.backend.get_object(bucket_name, key_name) is None
    except S3ClientError:
        return True


def _key_response_get(self: S3Response, query: dict, key_name: str) -> Any:
    if not query and _missing(self, self.bucket_name, key_name):
        self._set_action("KEY", "GET", query)
        self._authenticate_and_authorize_s3_action(bucket_name=self.bucket_name, key_name=key_name)
        if not _may_list_bucket(self, self.bucket_name):
            raise S3AccessDeniedError()
    return _original_key_response_get(self, query, key_name)


def _head_object(self: S3Response, bucket_name: str, query: dict, key_name: str, headers: Any) -> Any:
    if not query and _missing(self, bucket_name, key_name) and not _may_list_bucket(self, bucket_name):
        self._set_action("KEY", "HEAD", query)
        self._authenticate_and_authorize_s3_action(bucket_name=bucket_name, key_name=key_name)
        return 403, {}, ""
    return _original_head_object(self, bucket_name, query, key_name, headers=headers)


S3Response._key_response_get = _key_response_get  # type: ignore[method-assign]
S3Response.head_object = _head_object  # type: ignore[method-assign]

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])

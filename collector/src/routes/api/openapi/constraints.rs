//! What the server enforces on requests that the handlers' annotations cannot say: patterns,
//! lengths, bounds and enums, applied to the generated description as JSON, each beside the
//! constant it comes from. A client (or a fuzzer such as schemathesis, run by the `api`
//! suite) can then tell a valid request from an invalid one by the description alone.
//!
//! Two rules hold everywhere: no text anywhere may hold NUL (U+0000), which PostgreSQL
//! cannot store (the server refuses it in a path, a query or a JSON body), so every string
//! schema without a pattern, an enum or a format gets [`NO_NUL`]; and every operation may
//! answer 400 (a NUL in its path or query), 413 (a body over its limit) and 414 (a path or
//! query over the collector's), which `routes::refuse_nul` answers before any route runs.
//! Beacons also carry whole examples, valid for a site `shop`.
//!
//! What no JSON Schema can state is written in the descriptions instead, and named in
//! `tests/api/schemathesis.toml`: checksums (session codes), facts of the site's data (its
//! tracked numbers), and rules across fields (a report's period).

use serde_json::{json, Map, Value};

use chatrail_core::beacon::{MAX_ID_DIGITS, MAX_SCREEN_PX, MAX_SHORT_LEN, MAX_URL_LEN};

use crate::domain::account::{
    EMAIL_PATTERN, MAX_EMAIL_CHARS, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS,
};
use crate::domain::outcome;
use crate::domain::tag::MAX_TAG_CHARS;

/// Any text without NUL.
pub const NO_NUL: &str = "^[^\\u0000]*$";
/// An id of the snippet: 32 hex characters, either case (`chatrail_core::beacon::parse_id`).
const HEX_ID: &str = "^[0-9A-Fa-f]{32}$";
/// An absolute http(s) URL.
const HTTP_URL: &str = "^[Hh][Tt][Tt][Pp][Ss]?://[^\\u0000]+$";
/// A phone number in any notation: 7 to 15 digits once leading zeros are dropped
/// (`chatrail_core::phone::normalize_number`), anything else between them.
const PHONE: &str =
    "^[^0-9\\u0000]*(0[^0-9\\u0000]*)*[1-9]([^0-9\\u0000]*[0-9]){6,14}[^0-9\\u0000]*$";
/// A session code as typed: 8 characters of Crockford base32 (any case, aliases `I L O U`
/// included), the last two a check (`chatrail_core::code`), with whitespace around.
const SESSION_CODE: &str = "^\\s*[0-9A-Za-z]{8}\\s*$";
/// A provider id: 1 to 256 bytes, no control characters (`domain::inbound::provider_id`).
const PROVIDER_ID: &str = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$";

/// Applies every constraint to the description; the paths that did not exist (a renamed
/// field or parameter), which a test keeps empty.
pub fn apply(doc: &mut Value) -> Vec<String> {
    let mut missing = Vec::new();
    let mut param = |doc: &mut Value, path: &str, method: &str, name: &str, patch: Value| {
        // `get_mut`, not indexing: indexing would add what is missing as `null`.
        let found = doc
            .get_mut("paths")
            .and_then(|p| p.get_mut(path))
            .and_then(|i| i.get_mut(method))
            .and_then(|o| o.get_mut("parameters"))
            .and_then(Value::as_array_mut)
            .and_then(|ps| ps.iter_mut().find(|p| p["name"] == name));
        match found {
            Some(p) => {
                // Keys of the parameter itself; the rest go to its schema.
                let mut patch = patch;
                for key in ["required", "example"] {
                    if let Some(value) = patch.as_object_mut().and_then(|o| o.remove(key)) {
                        p[key] = value;
                    }
                }
                merge(&mut p["schema"], patch);
            }
            None => missing.push(format!("{method} {path} ?{name}")),
        }
    };
    // Public routes.
    let verify = "/webhooks/whatsapp";
    param(
        doc,
        verify,
        "get",
        "hub.mode",
        json!({"required": true, "type": "string", "enum": ["subscribe"]}),
    );
    param(
        doc,
        verify,
        "get",
        "hub.challenge",
        json!({"required": true, "type": "string"}),
    );

    for (path, method, name) in [
        ("/go/{site}/{chat}", "get", "site"),
        ("/sites/{key}/config", "get", "key"),
        ("/webhooks/telegram/{site_key}", "post", "site_key"),
    ] {
        param(doc, path, method, name, json!({"example": "shop"}));
    }
    param(
        doc,
        "/go/{site}/{chat}",
        "get",
        "chat",
        json!({"example": "+44 7700 900123"}),
    );

    // The token API.
    let dialogs = "/api/v1/dialogs";
    param(
        doc,
        dialogs,
        "get",
        "limit",
        json!({"minimum": 1, "maximum": 500}),
    );
    param(
        doc,
        dialogs,
        "get",
        "cursor",
        json!({"pattern": "^-?[0-9]{1,18}\\.[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"}),
    );
    param(doc, dialogs, "get", "q", json!({"maxLength": 100}));
    param(
        doc,
        dialogs,
        "get",
        "match",
        json!({"pattern": "^(exact|referral|probable|none)?$"}),
    );
    for (name, pattern) in [
        ("kind", "^(new|repeat)?$".to_owned()),
        ("tag", format!("^$|{}", tag())),
    ] {
        param(doc, dialogs, "get", name, json!({ "pattern": pattern }));
    }
    param(doc, dialogs, "get", "stage", json!({"maxLength": 100})); // a stage of the site's
    param(
        doc,
        dialogs,
        "get",
        "number",
        json!({"pattern": format!("({PHONE})|^$")}),
    );
    for (path, method) in [
        ("/api/v1/dialogs/{id}/tags/{tag}", "put"),
        ("/api/v1/dialogs/{id}/tags/{tag}", "delete"),
    ] {
        param(
            doc,
            path,
            method,
            "tag",
            json!({"pattern": tag(), "maxLength": MAX_TAG_CHARS}),
        );
    }
    let report = "/api/v1/reports/{name}";
    param(
        doc,
        report,
        "get",
        "number",
        json!({"pattern": format!("({PHONE})|^\\s*$")}),
    );
    param(
        doc,
        report,
        "get",
        "tag",
        json!({"pattern": format!("^\\s*$|{}", tag())}),
    );

    let mut prop = |doc: &mut Value, schema: &str, name: &str, patch: Value| {
        let at = format!("/components/schemas/{schema}/properties/{name}");
        match doc.pointer_mut(&at) {
            Some(p) => merge(p, patch),
            None => missing.push(format!("{schema}.{name}")),
        }
    };
    for beacon in ["VisitBeacon", "ClickBeacon"] {
        prop(doc, beacon, "visitor", json!({"pattern": HEX_ID}));
        prop(doc, beacon, "session", json!({"pattern": HEX_ID}));
        prop(doc, beacon, "code", json!({"pattern": SESSION_CODE}));
    }
    let url = json!({"pattern": HTTP_URL, "maxLength": MAX_URL_LEN});
    prop(doc, "VisitBeacon", "url", url.clone());
    prop(doc, "ClickBeacon", "page", url);
    prop(
        doc,
        "VisitBeacon",
        "referrer",
        json!({"maxLength": MAX_URL_LEN}),
    );
    for field in ["language", "timezone"] {
        prop(
            doc,
            "VisitBeacon",
            field,
            json!({"maxLength": MAX_SHORT_LEN}),
        );
    }
    for field in ["screen_w", "screen_h"] {
        prop(
            doc,
            "VisitBeacon",
            field,
            json!({"minimum": 1, "maximum": MAX_SCREEN_PX}),
        );
    }
    // Analytics ids (`domain::visit::AdSignals`): digits, GA4's client id two runs; or empty.
    let run = format!("[0-9]{{1,{MAX_ID_DIGITS}}}");
    let client = json!({ "pattern": format!("^({run}\\.{run})?$") });
    prop(doc, "VisitBeacon", "ga_client_id", client);
    for field in ["ga_session_id", "ym_client_id"] {
        let digits = json!({ "pattern": format!("^({run})?$") });
        prop(doc, "VisitBeacon", field, digits);
    }
    prop(doc, "ClickBeacon", "id", json!({"pattern": HEX_ID}));
    prop(
        doc,
        "ClickBeacon",
        "kind",
        json!({"enum": chatrail_core::links::LinkKind::ALL.map(|k| k.as_str())}),
    );

    prop(
        doc,
        "GenericMessage",
        "channel",
        json!({"pattern": "^\\s*[A-Za-z0-9_-]{1,32}\\s*$"}),
    );
    for field in ["message_id", "sender_id"] {
        prop(
            doc,
            "GenericMessage",
            field,
            json!({"pattern": PROVIDER_ID, "maxLength": crate::domain::inbound::MAX_ID}),
        );
    }
    prop(
        doc,
        "GenericMessage",
        "business_number",
        json!({"pattern": PHONE}),
    );
    prop(
        doc,
        "GenericMessage",
        "sender_phone",
        json!({"pattern": PHONE}),
    );
    prop(
        doc,
        "GenericMessage",
        "sent_at",
        json!({"format": "date-time"}),
    );

    // A name: 1–100 characters once trimmed, none of them a control character.
    let name = json!({"pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$", "maxLength": 100});
    prop(doc, "NewToken", "name", name.clone());
    prop(doc, "SettingsBody", "name", name.clone());
    let short_name = json!({"pattern": name["pattern"].clone(), "maxLength": 60});
    let url = json!({"pattern": HTTP_URL, "maxLength": 500});
    let secret = json!({"pattern": "\\S", "maxLength": 1000});
    for (field, c) in [("name", short_name), ("endpoint", url), ("secret", secret)] {
        prop(doc, "NewDestination", field, c.clone());
        prop(doc, "DestinationPatch", field, c);
    }
    // Accounts (`domain::account`): an e-mail address, a new password's length.
    let email = json!({"pattern": EMAIL_PATTERN, "maxLength": MAX_EMAIL_CHARS});
    for schema in ["SignInBody", "NewMember", "ResetBody"] {
        prop(doc, schema, "email", email.clone());
    }
    let new = json!({"minLength": MIN_PASSWORD_CHARS, "maxLength": MAX_PASSWORD_CHARS});
    prop(doc, "AcceptBody", "password", new);
    prop(
        doc,
        "SettingsBody",
        "timezone",
        json!({"enum": chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect::<Vec<_>>()}),
    );
    prop(
        doc,
        "SettingsBody",
        "template",
        json!({"pattern": "\\{code\\}"}),
    );
    prop(doc, "NumberBody", "number", json!({"pattern": PHONE}));
    prop(doc, "EraseBody", "phone", json!({"pattern": PHONE}));
    prop(
        doc,
        "EraseBody",
        "user_id",
        json!({"pattern": PROVIDER_ID, "maxLength": crate::domain::inbound::MAX_ID}),
    );
    for field in ["visits_days", "dialogs_days"] {
        let days = json!({"minimum": 1, "maximum": crate::storage::MAX_RETENTION_DAYS});
        prop(doc, "Retention", field, days);
    }

    // Outcomes (`domain::outcome`): an amount as a string or a number, stage sets and rules.
    prop(
        doc,
        "OutcomeBody",
        "value",
        json!({"type": ["string", "number", "null"], "pattern": "^[0-9]{1,13}(\\.[0-9]{1,3})?$",
            "minimum": 0, "maximum": 999_999_999_999i64}),
    );
    prop(doc, "OutcomeBody", "stage", json!({"maxLength": 100}));
    let stages = json!({"minItems": 2, "maxItems": outcome::MAX_STAGES});
    prop(doc, "OutcomeSettingsBody", "stages", stages);
    let rules = json!({"maxItems": outcome::MAX_RULES});
    prop(doc, "OutcomeSettingsBody", "rules", rules);
    let stage = json!({"maxLength": outcome::MAX_STAGE_CHARS});
    prop(doc, "Stage", "name", stage);

    // Beacons ignore fields they do not know, but not a NUL in them.
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        schemas.insert(
            "JsonWithoutNul".into(),
            json!({
                "description": "Any JSON value with no NUL (U+0000) in any string or key",
                "anyOf": [
                    {"type": "string", "pattern": NO_NUL},
                    {"type": ["number", "boolean", "null"]},
                    {"type": "array", "items": {"$ref": "#/components/schemas/JsonWithoutNul"}},
                    {"type": "object", "propertyNames": {"pattern": NO_NUL},
                     "additionalProperties": {"$ref": "#/components/schemas/JsonWithoutNul"}},
                ],
            }),
        );
    }
    for beacon in ["VisitBeacon", "ClickBeacon"] {
        match doc.pointer_mut(&format!("/components/schemas/{beacon}")) {
            Some(schema) => merge(
                schema,
                json!({"propertyNames": {"pattern": NO_NUL},
                       "additionalProperties": {"$ref": "#/components/schemas/JsonWithoutNul"}}),
            ),
            None => missing.push(beacon.to_owned()),
        }
    }
    // Whole examples of the beacons, which a reader (or schemathesis' examples phase) can
    // send as they are.
    let code = chatrail_core::code::SessionCode::generate(|| 0x5eed_c0de);
    let ids = [
        "0190f0c4b1a27c3e8d5f6a7b8c9d0e1f",
        "0190f0c4b1a27c3e8d5f6a7b8c9d0e20",
    ];
    let examples = [
        (
            "/collect/visit",
            json!({"site": "shop", "visitor": ids[0], "session": ids[1], "code": code.as_str(),
                "url": "https://shop.example/tables?utm_source=google&utm_medium=cpc&gclid=Cj0KCQ",
                "referrer": "https://www.google.com/", "screen_w": 390, "screen_h": 844,
                "language": "en-GB", "timezone": "Europe/London",
                "ga_client_id": "123456789.1700000000", "ga_session_id": "1700000000"}),
        ),
        (
            "/collect/click",
            json!({"site": "shop", "visitor": ids[0], "session": ids[1], "code": code.as_str(),
                "page": "https://shop.example/tables", "number": "447700900123", "kind": "wa.me",
                "id": "0190f0c4b1a27c3e8d5f6a7b8c9d0e21"}),
        ),
    ];
    for (path, example) in examples {
        let at = format!(
            "/paths/{}/post/requestBody/content/text~1plain",
            path.replace('/', "~1")
        );
        match doc.pointer_mut(&at) {
            Some(media) => merge(media, json!({ "example": example })),
            None => missing.push(at),
        }
    }
    forbid_nul(doc);
    every_operation_may_refuse(doc);
    missing
}

/// Documents what every operation may answer before its route runs
/// (`crate::routes::refuse_nul`): 400 for a NUL (`%00`) in the path or the query, 413 for a
/// body over the route's limit, 414 for a path or query over the collector's.
fn every_operation_may_refuse(doc: &mut Value) {
    use crate::routes::{body_limit, MAX_PATH_BYTES, MAX_QUERY_BYTES};
    let error = |description: String| {
        json!({
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        })
    };
    let paths = doc.get_mut("paths").and_then(Value::as_object_mut);
    for (template, item) in paths.into_iter().flat_map(|p| p.iter_mut()) {
        for (method, op) in item.as_object_mut().into_iter().flat_map(|i| i.iter_mut()) {
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            let refusals = [
                ("400", "A malformed request: a NUL (`%00`) in the path or the query, or a bad parameter".to_owned()),
                ("413", format!("Body over {} bytes", body_limit(method, template))),
                ("414", format!("Path over {MAX_PATH_BYTES} bytes, or query string over {MAX_QUERY_BYTES}")),
            ];
            for (status, description) in refusals {
                responses
                    .entry(status)
                    .or_insert_with(|| error(description));
            }
        }
    }
}

/// A tag (`domain::tag::Tag`): letters (any script), digits, whitespace and `- _ . :`, at
/// least one of them not whitespace. Regular expressions shared by JSON Schema's readers have
/// no "letter of any script", so the pattern names what is refused: every character of
/// Latin-1 the tag rule refuses (exactly), nothing beyond it (where the description is
/// looser than the server).
fn tag() -> String {
    let allowed = |c: char| c.is_alphanumeric() || c.is_whitespace() || " -_.:".contains(c);
    let class = |refuse_space: bool| {
        let refused: Vec<u32> = (0u8..=0xff)
            .map(char::from)
            .filter(|&c| !allowed(c) || (refuse_space && c.is_whitespace()))
            .map(u32::from)
            .collect();
        // Runs of refused characters as ranges.
        let mut ranges = String::new();
        let mut i = 0;
        while i < refused.len() {
            let start = refused[i];
            while i + 1 < refused.len() && refused[i + 1] == refused[i] + 1 {
                i += 1;
            }
            ranges.push_str(&format!("\\u{start:04x}"));
            if refused[i] > start {
                ranges.push_str(&format!("-\\u{:04x}", refused[i]));
            }
            i += 1;
        }
        format!("[^{ranges}]")
    };
    format!(
        "^{any}*{word}{any}*$",
        any = class(false),
        word = class(true)
    )
}

/// Adds `patch`'s keys to `target`, an object.
fn merge(target: &mut Value, patch: Value) {
    if let (Some(target), Value::Object(patch)) = (target.as_object_mut(), patch) {
        target.extend(patch);
    }
}

/// Gives [`NO_NUL`] to every string schema, in the components and in the parameters, that
/// has no pattern, enum, const or format of its own.
fn forbid_nul(doc: &mut Value) {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if is_free_string(map) {
                    map.insert("pattern".into(), NO_NUL.into());
                }
                for (key, child) in map.iter_mut() {
                    // Examples are values, not schemas.
                    if key != "example" && key != "examples" && key != "enum" {
                        walk(child);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    if let Some(schemas) = doc.pointer_mut("/components/schemas") {
        walk(schemas);
    }
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            if let Some(item) = item.as_object_mut() {
                for op in item.values_mut() {
                    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
                        params.iter_mut().for_each(|p| walk(&mut p["schema"]));
                    }
                }
            }
        }
    }
}

fn is_free_string(schema: &Map<String, Value>) -> bool {
    let string = match schema.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
        _ => false,
    };
    string
        && !["pattern", "enum", "const", "format"]
            .iter()
            .any(|k| schema.contains_key(*k))
}

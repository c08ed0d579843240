//! Checking answers against the collector's OpenAPI description: the status must be
//! documented for the operation, the content type must be one it documents, and a JSON body
//! must validate against its schema (JSON Schema 2020-12, `$ref`s resolved in the document).
//!
//! Schemas are read strictly: every object schema is closed with `unevaluatedProperties:
//! false`, so a field the server sends but the description does not name is an error.

mod driver;

use serde_json::{json, Map, Value};

pub use driver::{call, Call, Driver};

/// An OpenAPI document to check answers against.
#[derive(Debug, Clone)]
pub struct Spec {
    doc: Value,
    /// The component schemas, closed (see the module doc).
    schemas: Value,
}

/// One answer as the server gave it.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type` without parameters, if any.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

impl Answer {
    /// Reads a response whole.
    pub async fn read(resp: reqwest::Response) -> Answer {
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_owned());
        let body = resp.bytes().await.expect("response body").to_vec();
        Answer {
            status,
            content_type,
            body,
        }
    }

    /// The body as JSON (panics when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} body is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

impl Spec {
    /// Reads a document.
    pub fn new(doc: Value) -> Spec {
        let mut schemas = doc["components"]["schemas"].clone();
        let composed = all_of_refs(&schemas);
        if let Value::Object(map) = &mut schemas {
            for (name, schema) in map.iter_mut() {
                close(schema, composed.contains(name));
            }
        }
        Spec { doc, schemas }
    }

    /// The document.
    pub fn doc(&self) -> &Value {
        &self.doc
    }

    /// Every `(METHOD, path)` the document describes.
    pub fn operations(&self) -> Vec<(String, String)> {
        let mut ops = Vec::new();
        for (path, item) in self.doc["paths"].as_object().into_iter().flatten() {
            for method in ["get", "put", "post", "delete", "patch"] {
                if item.get(method).is_some() {
                    ops.push((method.to_uppercase(), path.clone()));
                }
            }
        }
        ops
    }

    /// The operation at `method` and `path` (a template such as `/api/v1/dialogs/{id}`).
    pub fn operation(&self, method: &str, path: &str) -> Option<&Value> {
        self.doc["paths"]
            .get(path)?
            .get(method.to_ascii_lowercase())
    }

    /// Checks `answer` against the operation at `method` and `path`.
    pub fn check(&self, method: &str, path: &str, answer: &Answer) -> Result<(), String> {
        let op = self
            .operation(method, path)
            .ok_or_else(|| format!("{method} {path} is not described"))?;
        let status = answer.status.to_string();
        let response = op["responses"]
            .get(&status)
            .or_else(|| op["responses"].get("default"))
            .ok_or_else(|| {
                format!(
                    "{method} {path}: status {status} is not documented: {}",
                    String::from_utf8_lossy(&answer.body)
                )
            })?;
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            return if answer.body.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "{method} {path} {status}: a body where none is documented"
                ))
            };
        };
        let ct = answer.content_type.as_deref().unwrap_or("");
        let media = content.get(ct).ok_or_else(|| {
            format!(
                "{method} {path} {status}: content type {ct:?} is not documented (only {:?})",
                content.keys().collect::<Vec<_>>()
            )
        })?;
        if ct != "application/json" {
            return Ok(());
        }
        let body: Value = serde_json::from_slice(&answer.body)
            .map_err(|e| format!("{method} {path} {status}: body is not JSON: {e}"))?;
        self.validate(&media["schema"], &body)
            .map_err(|e| format!("{method} {path} {status}: {e}"))
    }

    /// Checks a request body the server accepted against the operation's documented request
    /// body: its content type must be documented, and a JSON body (also JSON sent as
    /// `text/plain`, as beacons are) must validate.
    pub fn check_request(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> Result<(), String> {
        let op = self
            .operation(method, path)
            .ok_or_else(|| format!("{method} {path} is not described"))?;
        let ct = content_type.split(';').next().unwrap_or("").trim();
        let media = op["requestBody"]["content"].get(ct).ok_or_else(|| {
            format!("{method} {path}: request content type {ct:?} is not documented")
        })?;
        if !matches!(ct, "application/json" | "text/plain") {
            return Ok(());
        }
        let body: Value = serde_json::from_str(body)
            .map_err(|e| format!("{method} {path}: request body is not JSON: {e}"))?;
        self.validate(&media["schema"], &body)
            .map_err(|e| format!("{method} {path} request: {e}"))
    }

    /// Checks that every parameter of `query` (`a=1&b=2`) is a documented query parameter of
    /// the operation at `method` and `path`.
    pub fn check_query(&self, method: &str, path: &str, query: &str) -> Result<(), String> {
        let op = self
            .operation(method, path)
            .ok_or_else(|| format!("{method} {path} is not described"))?;
        let documented: Vec<&str> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query")
            .filter_map(|p| p["name"].as_str())
            .collect();
        for (name, _) in form_urlencoded::parse(query.as_bytes()) {
            if !documented.contains(&name.as_ref()) {
                return Err(format!(
                    "{method} {path}: query parameter {name:?} is not documented ({documented:?})"
                ));
            }
        }
        Ok(())
    }

    /// Validates `instance` against `schema`, whose `$ref`s point into this document's
    /// components.
    pub fn validate(&self, schema: &Value, instance: &Value) -> Result<(), String> {
        let mut root = match schema {
            Value::Object(map) => map.clone(),
            Value::Bool(_) | Value::Null => Map::new(),
            other => return Err(format!("not a schema: {other}")),
        };
        close_top(&mut root);
        root.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        root.insert("components".into(), json!({ "schemas": self.schemas }));
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&Value::Object(root))
            .map_err(|e| format!("unusable schema: {e}"))?;
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!("{} in {instance}", errors.join("; ")))
        }
    }

    /// The schema of a named component, as a `$ref`.
    pub fn component(name: &str) -> Value {
        json!({ "$ref": format!("#/components/schemas/{name}") })
    }
}

/// Names of components used as parts of an `allOf` (a `#[serde(flatten)]`ed struct): those
/// stay open, and the composed schema is closed instead.
fn all_of_refs(schemas: &Value) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::Array(parts)) = map.get("allOf") {
                    for part in parts {
                        if let Some(r) = part.get("$ref").and_then(Value::as_str) {
                            out.push(r.rsplit('/').next().unwrap_or(r).to_owned());
                        }
                    }
                }
                map.values().for_each(|v| walk(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(schemas, &mut out);
    out
}

/// Closes the object schemas in `schema`, except where it is a part of an `allOf`.
fn close(schema: &mut Value, part_of_all_of: bool) {
    let Value::Object(map) = schema else { return };
    if !part_of_all_of {
        close_top(map);
    }
    for (key, value) in map.iter_mut() {
        match (key.as_str(), value) {
            ("properties", Value::Object(props)) => {
                props.values_mut().for_each(|p| close(p, false));
            }
            ("items" | "additionalProperties", v) => close(v, false),
            ("oneOf" | "anyOf", Value::Array(parts)) => {
                parts.iter_mut().for_each(|p| close(p, false));
            }
            ("allOf", Value::Array(parts)) => parts.iter_mut().for_each(|p| close(p, true)),
            _ => {}
        }
    }
}

fn close_top(map: &mut Map<String, Value>) {
    let is_object = map.contains_key("properties") || map.contains_key("allOf");
    if is_object && !map.contains_key("additionalProperties") {
        map.insert("unevaluatedProperties".into(), Value::Bool(false));
    }
}

//! The beacons' JSON, written by hand: serde and `core::fmt` would cost the
//! snippet kilobytes.

use super::{field, ClickBeacon, VisitBeacon, HEX};

/// A JSON object written field by field: the snippet's beacons, without
/// serde or `core::fmt`, which would cost the snippet kilobytes.
#[derive(Debug)]
pub struct JsonObject(String);

impl Default for JsonObject {
    fn default() -> Self {
        JsonObject(String::from("{"))
    }
}

impl JsonObject {
    fn key(&mut self, key: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        push_json_string(&mut self.0, key);
        self.0.push(':');
    }

    /// Adds a string field.
    pub fn str(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key);
        push_json_string(&mut self.0, value);
        self
    }

    /// Adds a string field when there is a value.
    pub fn opt_str(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            self.str(key, v);
        }
        self
    }

    /// Adds a number field when there is a value.
    pub fn opt_num(&mut self, key: &str, value: Option<u32>) -> &mut Self {
        if let Some(v) = value {
            self.key(key);
            push_decimal(&mut self.0, u64::from(v));
        }
        self
    }

    /// The object's text.
    pub fn finish(&mut self) -> String {
        let mut out = core::mem::take(&mut self.0);
        out.push('}');
        out
    }
}

/// Appends `s` as a JSON string literal; unescaped runs are copied whole.
fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        if b == b'"' || b == b'\\' || b < 0x20 {
            out.push_str(s.get(start..i).unwrap_or_default());
            out.push('\\');
            match b {
                b'"' | b'\\' => out.push(char::from(b)),
                _ => {
                    out.push_str("u00");
                    out.push(char::from(HEX[usize::from(b >> 4)]));
                    out.push(char::from(HEX[usize::from(b & 0xf)]));
                }
            }
            start = i + 1;
        }
    }
    out.push_str(s.get(start..).unwrap_or_default());
    out.push('"');
}

/// Decimal digits without `core::fmt`, which would cost the snippet
/// kilobytes of wasm.
pub fn push_decimal(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        if let Some(slot) = buf.get_mut(at) {
            *slot = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    for &d in buf.get(at..).unwrap_or_default() {
        out.push(char::from(d));
    }
}

impl VisitBeacon {
    /// The beacon's JSON, as the collector reads it.
    pub fn to_json(&self) -> String {
        JsonObject::default()
            .str(field::SITE, &self.site)
            .str(field::VISITOR, &self.visitor)
            .str(field::SESSION, &self.session)
            .str(field::CODE, &self.code)
            .str(field::URL, &self.url)
            .opt_str(field::REFERRER, self.referrer.as_deref())
            .opt_num(field::SCREEN_W, self.screen_w)
            .opt_num(field::SCREEN_H, self.screen_h)
            .opt_str(field::LANGUAGE, self.language.as_deref())
            .opt_str(field::TIMEZONE, self.timezone.as_deref())
            .finish()
    }
}

impl ClickBeacon {
    /// The beacon's JSON, as the collector reads it.
    pub fn to_json(&self) -> String {
        JsonObject::default()
            .str(field::SITE, &self.site)
            .str(field::VISITOR, &self.visitor)
            .str(field::SESSION, &self.session)
            .str(field::CODE, &self.code)
            .str(field::PAGE, &self.page)
            .str(field::NUMBER, &self.number)
            .str(field::KIND, &self.kind)
            .opt_str(field::ID, self.id.as_deref())
            .finish()
    }
}

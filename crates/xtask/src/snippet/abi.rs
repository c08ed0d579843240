//! The wasm's imports and exports, read from its binary: what the loader relies on.

/// The exports `js/base.js`'s `ask` calls: `buf(len) -> address`,
/// `run(op, len) -> answer length + 1` and `out() -> answer address`.
const LOADER_ABI: [&str; 4] = ["memory", "buf", "run", "out"];

/// Fails unless the wasm imports nothing and exports what the loader calls: a wasm-bindgen
/// upgrade, or a Rust change that needs a JS import, must update `js/base.js`'s `ask`.
pub fn check_abi(wasm: &[u8]) -> Result<(), String> {
    let (imports, exports) = wasm_imports_exports(wasm).ok_or("t.wasm is not a wasm module")?;
    if !imports.is_empty() {
        return Err(format!(
            "t.wasm imports {imports:?}; js/base.js provides no imports (see its `ask`)"
        ));
    }
    match LOADER_ABI
        .iter()
        .find(|name| !exports.iter().any(|e| e == *name))
    {
        Some(missing) => Err(format!(
            "t.wasm does not export {missing}; js/base.js's `ask` needs {LOADER_ABI:?}"
        )),
        None => Ok(()),
    }
}

/// The names of a module's first import (`module.name`) and of its exports, read from
/// its sections.
pub fn wasm_imports_exports(wasm: &[u8]) -> Option<(Vec<String>, Vec<String>)> {
    fn leb(bytes: &[u8], at: &mut usize) -> Option<u32> {
        let (mut value, mut shift) = (0u32, 0);
        loop {
            let b = *bytes.get(*at)?;
            *at += 1;
            value |= u32::from(b & 0x7f).checked_shl(shift)?;
            if b < 0x80 {
                return Some(value);
            }
            shift += 7;
        }
    }
    fn name(bytes: &[u8], at: &mut usize) -> Option<String> {
        let len = leb(bytes, at)? as usize;
        let text = bytes.get(*at..*at + len)?;
        *at += len;
        Some(String::from_utf8_lossy(text).into_owned())
    }
    if wasm.get(..4)? != b"\0asm" {
        return None;
    }
    let (mut imports, mut exports) = (Vec::new(), Vec::new());
    let mut at = 8;
    while at < wasm.len() {
        let id = *wasm.get(at)?;
        at += 1;
        let size = leb(wasm, &mut at)? as usize;
        let end = at + size;
        let mut p = at;
        match id {
            2 if leb(wasm, &mut p)? > 0 => {
                let module = name(wasm, &mut p)?;
                imports.push(format!("{module}.{}", name(wasm, &mut p)?));
            }
            7 => {
                for _ in 0..leb(wasm, &mut p)? {
                    exports.push(name(wasm, &mut p)?);
                    p += 1; // kind
                    leb(wasm, &mut p)?; // index
                }
            }
            _ => {}
        }
        at = end;
    }
    Some((imports, exports))
}

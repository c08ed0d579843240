//! Runnable examples live next to this package manifest (see `cargo run --example`).

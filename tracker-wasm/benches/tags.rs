//! The snippet's biggest question, natively: what 1,000 links become (`op::TAGS`), in the
//! shapes a page has most (wa.me with a text, wa.me bare with a starter text, the
//! api.whatsapp.com share form, an untracked number).
//!
//! `cargo bench -p chatrail-tracker --bench tags`. Criterion builds at the bench profile
//! (opt-level 3); the snippet ships at opt-level "z" and runs as wasm, which together take
//! roughly twice as long, so this is for comparing changes, not for the page's figure (that is
//! `tests/browser/bench.rs`).

use std::hint::black_box;

use chatrail_tracker::{answer, op, SEP};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// `fields` joined as the loader joins a question.
fn question(fields: &[String]) -> String {
    fields.join(&SEP.to_string())
}

/// 1,000 (href, starter text) pairs of `shape`, `{i}` replaced by the link's number.
fn links(shape: (&str, &str)) -> String {
    let fields: Vec<String> = (0..1000)
        .flat_map(|i| {
            let i = i.to_string();
            [shape.0.replace("{i}", &i), shape.1.replace("{i}", &i)]
        })
        .collect();
    question(&fields)
}

fn bench(c: &mut Criterion) {
    let fields = |f: &[&str]| question(&f.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    answer(
        op::CONFIGURE,
        &fields(&["+7 900 123-45-67,447700900123", "", ""]),
    );
    answer(
        op::VIEW,
        &fields(&["", "00112233445566778899aabbccddeeff00112233", "/oak"]),
    );
    let shapes = [
        ("wa.me text", ("https://wa.me/79001234567?text=Item%20{i}", "")),
        ("wa.me starter", ("https://wa.me/79001234567", "Is item {i} in stock?")),
        (
            "api.whatsapp.com",
            (
                "https://api.whatsapp.com/send/?phone=%2B447700900123&text=Hello%20{i}&type=phone_number&app_absent=0",
                "",
            ),
        ),
        ("untracked", ("https://wa.me/15551234567?text=Item%20{i}", "")),
    ];
    let mut g = c.benchmark_group("tags");
    g.throughput(Throughput::Elements(1000));
    for (name, shape) in shapes {
        let q = links(shape);
        let tagged = answer(op::TAGS, &q).unwrap_or_default();
        // Each shape's answers are what the shape expects: tagged, or left alone.
        assert_eq!(
            tagged.matches("ref%20").count(),
            if name == "untracked" { 0 } else { 1000 },
            "{name}"
        );
        g.bench_function(name, |b| b.iter(|| answer(op::TAGS, black_box(&q))));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

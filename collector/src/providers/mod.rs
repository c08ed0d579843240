//! Inbound providers: payload formats and signatures, turned into [`InboundMessage`]s.
//!
//! [`InboundMessage`]: crate::domain::inbound::InboundMessage

pub mod signature;
pub mod whatsapp;

//! Inbound providers: payload formats and signatures, turned into [`InboundMessage`]s.
//!
//! [`InboundMessage`]: crate::domain::inbound::InboundMessage

pub mod generic;
pub mod signature;
pub mod telegram;
pub mod twilio;
pub mod whatsapp;

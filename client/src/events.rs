//! Decoding the program's events from a transaction's inner instructions, where
//! `emit_cpi!` puts them: `EVENT_IX_TAG_LE || event discriminator || borsh(event)`.

use anchor_lang::{event::EVENT_IX_TAG_LE, AnchorDeserialize, Discriminator, Event};

pub use ignis::events::*;

/// The event of type `T` carried by this inner-instruction data, if it is one.
pub fn decode_cpi_event<T: Event + Discriminator + AnchorDeserialize>(data: &[u8]) -> Option<T> {
    let payload = data.strip_prefix(EVENT_IX_TAG_LE)?.strip_prefix(T::DISCRIMINATOR)?;
    T::try_from_slice(payload).ok()
}

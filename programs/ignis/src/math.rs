//! Checked integer arithmetic that fails with a named error instead of wrapping.

use anchor_lang::prelude::*;

use crate::{constants::BPS_DENOMINATOR, errors::IgnisError};

pub fn add(a: u64, b: u64) -> Result<u64> {
    a.checked_add(b).ok_or_else(|| error!(IgnisError::MathOverflow))
}

pub fn sub(a: u64, b: u64) -> Result<u64> {
    a.checked_sub(b).ok_or_else(|| error!(IgnisError::MathOverflow))
}

pub fn add_i64(a: i64, b: i64) -> Result<i64> {
    a.checked_add(b).ok_or_else(|| error!(IgnisError::MathOverflow))
}

/// `amount * bps / 10_000`, rounded down, computed in u128 so it cannot overflow.
pub fn bps_of(amount: u64, bps: u16) -> Result<u64> {
    let scaled = u128::from(amount)
        .checked_mul(u128::from(bps))
        .ok_or_else(|| error!(IgnisError::MathOverflow))?
        / u128::from(BPS_DENOMINATOR);
    u64::try_from(scaled).map_err(|_| error!(IgnisError::MathOverflow))
}

use anchor_lang::prelude::*;

use crate::math;

/// One holder's stake: bonded amount and at most one unbonding tranche.
#[account]
#[derive(InitSpace, Debug)]
pub struct Stake {
    pub owner: Pubkey,
    /// Bonded tokens: count towards worker eligibility and can be slashed.
    pub amount: u64,
    /// Tokens on their way out: no longer count for eligibility, still slashable.
    pub unbonding_amount: u64,
    /// Tokens deposited in slot `activating_slot`: they become bonded in any later
    /// slot, so stake that arrives in the slot of a fee or a slash earns nothing of it.
    pub activating_amount: u64,
    pub activating_slot: u64,
    /// When `unbonding_amount` may be withdrawn.
    pub unlock_at: i64,
    /// Total slashed from this stake over its life.
    pub slashed_total: u64,
    /// `amount * reward_per_share` at the last settlement (Q64 shifted out).
    pub reward_debt: u128,
    /// Rewards booked and not yet claimed.
    pub pending_rewards: u64,
    pub claimed_total: u64,
    pub created_at: i64,
    pub bump: u8,
}

impl Stake {
    /// Slash `bps` of everything this stake holds, bonded first, then unbonding, after
    /// booking the rewards earned so far. Returns the amount taken; the caller moves
    /// the tokens and updates the totals.
    pub fn slash(&mut self, bps: u16, reward_per_share: u128) -> Result<Slashed> {
        self.settle(reward_per_share)?;
        let total = math::add(self.amount, self.unbonding_amount)?;
        let amount = math::bps_of(total, bps)?;
        let from_bonded = amount.min(self.amount);
        let from_unbonding = math::sub(amount, from_bonded)?;
        self.amount = math::sub(self.amount, from_bonded)?;
        self.unbonding_amount = math::sub(self.unbonding_amount, from_unbonding)?;
        self.slashed_total = math::add(self.slashed_total, amount)?;
        self.reset_debt(reward_per_share)?;
        Ok(Slashed { from_bonded, from_unbonding })
    }
}

impl Stake {
    /// Whether a deposit is waiting to be bonded and may be in `slot`.
    pub fn activation_due(&self, slot: u64) -> bool {
        self.activating_amount > 0 && slot > self.activating_slot
    }

    /// Bonds the deposit of an earlier slot, if any, booking rewards first so it earns
    /// only from now on. Returns the amount bonded; the caller updates the totals.
    pub fn activate(&mut self, slot: u64, reward_per_share: u128) -> Result<u64> {
        if !self.activation_due(slot) {
            return Ok(0);
        }
        let amount = self.activating_amount;
        self.settle(reward_per_share)?;
        self.amount = math::add(self.amount, amount)?;
        self.activating_amount = 0;
        self.reset_debt(reward_per_share)?;
        Ok(amount)
    }

    /// Holds nothing at all: no tokens in any state and no rewards to claim.
    pub fn is_empty(&self, reward_per_share: u128) -> Result<bool> {
        Ok(self.amount == 0
            && self.unbonding_amount == 0
            && self.activating_amount == 0
            && self.claimable(reward_per_share)? == 0)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slashed {
    pub from_bonded: u64,
    pub from_unbonding: u64,
}

impl Slashed {
    pub fn total(&self) -> Result<u64> {
        math::add(self.from_bonded, self.from_unbonding)
    }
}

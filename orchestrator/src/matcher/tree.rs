//! Weighted sampling over workers under two thresholds at once: enough VRAM and a
//! minimum price no higher than the job pays.
//!
//! Members are sorted by VRAM (descending), so "enough VRAM" is a prefix. A segment
//! tree over that order keeps, in every node, the node's members sorted by minimum
//! price with a Fenwick tree of their weights, so "affordable" is a prefix inside each
//! node. A query covers the VRAM prefix with O(log n) nodes, each answered in
//! O(log n): sampling and weight updates cost O(log² n), independent of how many
//! workers are eligible.

use rand::Rng;

use super::fenwick::Fenwick;

#[derive(Clone, Debug)]
struct Node {
    /// Minimum prices of the node's members, ascending.
    prices: Vec<u64>,
    /// Member positions in that price order.
    order: Vec<u32>,
    weights: Fenwick,
}

/// One member: a worker slot with its thresholds and its weight (0 = not eligible now).
#[derive(Clone, Copy, Debug)]
pub struct Member {
    pub slot: usize,
    pub vram_mb: u32,
    pub min_price: u64,
    pub weight: u128,
}

#[derive(Clone, Debug)]
pub struct CapabilityTree {
    /// Worker slots, VRAM descending.
    slots: Vec<usize>,
    vram: Vec<u32>,
    weights: Vec<u128>,
    /// Leaves in the iterative segment tree (a power of two).
    size: usize,
    nodes: Vec<Node>,
    /// `positions[level][member]`: index of the member inside its ancestor at `level`.
    positions: Vec<Vec<u32>>,
    /// Member position of each worker slot (`u32::MAX` when not a member).
    member_of_slot: Vec<u32>,
}

impl CapabilityTree {
    /// `slot_count` bounds the slot numbers used.
    pub fn build(mut members: Vec<Member>, slot_count: usize) -> Self {
        members.sort_by(|a, b| b.vram_mb.cmp(&a.vram_mb).then(a.slot.cmp(&b.slot)));
        let n = members.len();
        let size = n.next_power_of_two().max(1);
        let empty = Node { prices: vec![], order: vec![], weights: Fenwick::new(0) };
        let mut nodes = vec![empty; 2 * size];
        let levels = size.trailing_zeros() as usize + 1;
        let mut positions = vec![vec![0u32; n]; levels];
        for (i, m) in members.iter().enumerate() {
            nodes[size + i] = Node {
                prices: vec![m.min_price],
                order: vec![i as u32],
                weights: Fenwick::from_values([m.weight]),
            };
        }
        let mut level_start = size;
        // `level` also names the tree level in `positions[level]`, read next to `nodes`.
        #[allow(clippy::needless_range_loop)]
        for level in 1..levels {
            level_start >>= 1;
            for id in level_start..2 * level_start {
                let (left, right) = (&nodes[2 * id], &nodes[2 * id + 1]);
                let mut order = Vec::with_capacity(left.order.len() + right.order.len());
                let (mut i, mut j) = (0, 0);
                while i < left.order.len() || j < right.order.len() {
                    let take_left = j >= right.order.len()
                        || (i < left.order.len() && left.prices[i] <= right.prices[j]);
                    if take_left {
                        order.push(left.order[i]);
                        i += 1;
                    } else {
                        order.push(right.order[j]);
                        j += 1;
                    }
                }
                let prices = order.iter().map(|&m| members[m as usize].min_price).collect();
                for (k, &m) in order.iter().enumerate() {
                    positions[level][m as usize] = k as u32;
                }
                let weights =
                    Fenwick::from_values(order.iter().map(|&m| members[m as usize].weight));
                nodes[id] = Node { prices, order, weights };
            }
        }
        let mut member_of_slot = vec![u32::MAX; slot_count];
        for (i, m) in members.iter().enumerate() {
            member_of_slot[m.slot] = i as u32;
        }
        CapabilityTree {
            slots: members.iter().map(|m| m.slot).collect(),
            vram: members.iter().map(|m| m.vram_mb).collect(),
            weights: members.iter().map(|m| m.weight).collect(),
            size,
            nodes,
            positions,
            member_of_slot,
        }
    }

    pub fn weight(&self, slot: usize) -> u128 {
        match self.member_of_slot.get(slot) {
            Some(&m) if m != u32::MAX => self.weights[m as usize],
            _ => 0,
        }
    }

    /// Sets a member's weight; no-op for non-members.
    pub fn set_weight(&mut self, slot: usize, weight: u128) {
        let Some(&member) = self.member_of_slot.get(slot) else { return };
        if member == u32::MAX {
            return;
        }
        let m = member as usize;
        let delta = weight.wrapping_sub(self.weights[m]);
        if delta == 0 {
            return;
        }
        self.weights[m] = weight;
        let mut id = self.size + m;
        let mut level = 0;
        while id > 0 {
            let position = self.positions[level][m] as usize;
            self.nodes[id].weights.add(position, delta);
            id >>= 1;
            level += 1;
        }
    }

    /// Picks a worker slot with at least `memory_mb` of VRAM and a minimum price at most
    /// `price`, with probability proportional to its weight; `None` if none qualifies.
    pub fn sample(&self, memory_mb: u64, price: u64, rng: &mut impl Rng) -> Option<usize> {
        let count = self.vram.partition_point(|&v| u64::from(v) >= memory_mb);
        // Canonical nodes covering members [0, count).
        let mut covers: [(usize, u128); 64] = [(0, 0); 64];
        let mut used = 0;
        let mut total = 0u128;
        let (mut l, mut r) = (self.size, self.size + count);
        while l < r {
            for id in
                [(l & 1 == 1).then_some(l), (r & 1 == 1).then_some(r - 1)].into_iter().flatten()
            {
                let node = &self.nodes[id];
                let affordable = node.prices.partition_point(|&p| p <= price);
                let weight = node.weights.prefix(affordable);
                if weight > 0 {
                    covers[used] = (id, weight);
                    used += 1;
                    total += weight;
                }
            }
            if l & 1 == 1 {
                l += 1;
            }
            if r & 1 == 1 {
                r -= 1;
            }
            l >>= 1;
            r >>= 1;
        }
        if total == 0 {
            return None;
        }
        let mut target = rng.gen_range(0..total);
        for &(id, weight) in &covers[..used] {
            if target < weight {
                let node = &self.nodes[id];
                let member = node.order[node.weights.find(target)] as usize;
                return Some(self.slots[member]);
            }
            target -= weight;
        }
        unreachable!("target is below the total weight")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn samples_only_members_that_fit_both_thresholds_in_proportion_to_weight() {
        // slot: (vram, min_price, weight)
        let specs =
            [(8_000, 10, 1), (24_000, 50, 2), (80_000, 5, 4), (80_000, 500, 8), (16_000, 1, 0)];
        let members = specs
            .iter()
            .enumerate()
            .map(|(slot, &(vram_mb, min_price, weight))| Member {
                slot,
                vram_mb,
                min_price,
                weight,
            })
            .collect();
        let mut tree = CapabilityTree::build(members, specs.len());
        let mut rng = StdRng::seed_from_u64(7);
        let mut counts = [0u32; 5];
        for _ in 0..7_000 {
            counts[tree.sample(10_000, 100, &mut rng).unwrap()] += 1;
        }
        // Eligible: slot 1 (weight 2) and slot 2 (weight 4); slot 3 too expensive, slot 0
        // too small, slot 4 has no weight.
        assert_eq!((counts[0], counts[3], counts[4]), (0, 0, 0));
        assert!(
            (2_000..2_700).contains(&counts[1]) && (4_300..5_000).contains(&counts[2]),
            "{counts:?}"
        );

        tree.set_weight(2, 0);
        assert!((0..100).all(|_| tree.sample(10_000, 100, &mut rng) == Some(1)));
        tree.set_weight(1, 0);
        assert_eq!(tree.sample(10_000, 100, &mut rng), None);
        assert_eq!(tree.sample(100_000, u64::MAX, &mut rng), None, "nobody has 100 GB");
        tree.set_weight(4, 3);
        assert_eq!(tree.sample(0, 1, &mut rng), Some(4));
    }
}

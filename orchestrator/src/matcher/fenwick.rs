//! A Fenwick (binary indexed) tree of u128 weights: prefix sums, point updates and
//! "which element holds the r-th unit of weight" in O(log n), the core of the weighted
//! lottery.

#[derive(Clone, Debug, Default)]
pub struct Fenwick {
    /// 1-based internal array; `tree[0]` is unused.
    tree: Vec<u128>,
}

impl Fenwick {
    pub fn new(len: usize) -> Self {
        Fenwick { tree: vec![0; len + 1] }
    }

    /// Builds from initial values in O(n).
    pub fn from_values(values: impl IntoIterator<Item = u128>) -> Self {
        let mut tree = vec![0u128];
        tree.extend(values);
        let len = tree.len();
        for i in 1..len {
            let parent = i + (i & i.wrapping_neg());
            if parent < len {
                tree[parent] = tree[parent].wrapping_add(tree[i]);
            }
        }
        Fenwick { tree }
    }

    pub fn len(&self) -> usize {
        self.tree.len() - 1
    }

    /// Adds `delta` (two's complement, so a "negative" delta subtracts) at `index`.
    pub fn add(&mut self, index: usize, delta: u128) {
        let mut i = index + 1;
        while i < self.tree.len() {
            self.tree[i] = self.tree[i].wrapping_add(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// Sum of the first `count` values.
    pub fn prefix(&self, count: usize) -> u128 {
        let mut i = count.min(self.len());
        let mut sum = 0u128;
        while i > 0 {
            sum = sum.wrapping_add(self.tree[i]);
            i &= i - 1;
        }
        sum
    }

    /// The index whose cumulative range contains `target` (0 <= target < total): the
    /// smallest `i` with `prefix(i + 1) > target`.
    pub fn find(&self, mut target: u128) -> usize {
        let mut pos = 0;
        let mut step = self.len().next_power_of_two();
        while step > 0 {
            let next = pos + step;
            if next < self.tree.len() && self.tree[next] <= target {
                pos = next;
                target -= self.tree[next];
            }
            step >>= 1;
        }
        pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_update_and_find_agree_with_a_plain_array() {
        let values: Vec<u128> = vec![3, 0, 5, 1, 0, 0, 7, 2, 9];
        let mut fen = Fenwick::from_values(values.clone());
        let mut plain = values;
        fen.add(1, 4);
        plain[1] += 4;
        fen.add(6, 0u128.wrapping_sub(7));
        plain[6] -= 7;
        for count in 0..=plain.len() {
            assert_eq!(fen.prefix(count), plain[..count].iter().sum::<u128>());
        }
        let total: u128 = plain.iter().sum();
        for target in 0..total {
            let expected =
                (0..plain.len()).find(|&i| plain[..=i].iter().sum::<u128>() > target).unwrap();
            assert_eq!(fen.find(target), expected, "target {target}");
        }
    }
}

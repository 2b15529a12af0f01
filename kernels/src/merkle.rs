//! The Merkle root replicas commit to over an output's rows, so that a verifier can
//! check sampled rows against the root without the whole output.
//!
//! A leaf is `sha256(0x00 || row bytes)`, an inner node `sha256(0x01 || left || right)`
//! (the prefixes keep a leaf from passing for a node). A level with an odd count carries
//! its last node up unchanged. A proof is the sibling of each level, bottom up, skipping
//! the levels where the node was carried.

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

pub fn leaf(row: &[u8]) -> Hash {
    Sha256::new().chain_update([0u8]).chain_update(row).finalize().into()
}

fn node(left: &Hash, right: &Hash) -> Hash {
    Sha256::new().chain_update([1u8]).chain_update(left).chain_update(right).finalize().into()
}

fn next_level(level: &[Hash]) -> Vec<Hash> {
    level
        .chunks(2)
        .map(|pair| match pair {
            [left, right] => node(left, right),
            [carried] => *carried,
            _ => unreachable!("chunks of two"),
        })
        .collect()
}

/// The root over the leaves (`leaf` of each row); the empty tree's root is all zeros.
pub fn root(leaves: &[Hash]) -> Hash {
    if leaves.is_empty() {
        return [0; 32];
    }
    let mut level = leaves.to_vec();
    while level.len() > 1 {
        level = next_level(&level);
    }
    level[0]
}

/// The root over `rows` rows of `row_bytes` bytes each.
pub fn root_of_rows(bytes: &[u8], row_bytes: usize) -> Hash {
    assert!(row_bytes > 0 && bytes.len().is_multiple_of(row_bytes), "whole rows only");
    let leaves: Vec<Hash> = bytes.chunks_exact(row_bytes).map(leaf).collect();
    root(&leaves)
}

/// The siblings that lead from leaf `index` to the root.
pub fn proof(leaves: &[Hash], index: usize) -> Vec<Hash> {
    assert!(index < leaves.len(), "the leaf is in the tree");
    let mut siblings = vec![];
    let mut level = leaves.to_vec();
    let mut position = index;
    while level.len() > 1 {
        let sibling = position ^ 1;
        if sibling < level.len() {
            siblings.push(level[sibling]);
        }
        level = next_level(&level);
        position /= 2;
    }
    siblings
}

/// Whether `row` is leaf `index` of a tree of `count` leaves with this root.
pub fn verify(root: &Hash, count: usize, index: usize, row: &[u8], proof: &[Hash]) -> bool {
    if index >= count {
        return false;
    }
    let mut hash = leaf(row);
    let (mut position, mut width) = (index, count);
    let mut siblings = proof.iter();
    while width > 1 {
        let sibling = position ^ 1;
        if sibling < width {
            let Some(other) = siblings.next() else { return false };
            hash = if position.is_multiple_of(2) { node(&hash, other) } else { node(other, &hash) };
        }
        position /= 2;
        width = width.div_ceil(2);
    }
    siblings.next().is_none() && hash == *root
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_of_every_tree_size_proves_and_no_other_does() {
        for count in 1..=17usize {
            let rows: Vec<Vec<u8>> = (0..count).map(|i| vec![i as u8; 3]).collect();
            let leaves: Vec<Hash> = rows.iter().map(|row| leaf(row)).collect();
            let top = root(&leaves);
            assert_eq!(top, root_of_rows(&rows.concat(), 3));
            for (index, row) in rows.iter().enumerate() {
                let path = proof(&leaves, index);
                assert!(verify(&top, count, index, row, &path), "row {index} of {count}");
                assert!(!verify(&top, count, index, &[255, 0, 1], &path), "a changed row");
                if count > 1 {
                    let other = (index + 1) % count;
                    assert!(!verify(&top, count, other, row, &path), "another index");
                }
            }
        }
    }

    #[test]
    fn a_leaf_cannot_pass_for_an_inner_node() {
        let leaves = [leaf(b"a"), leaf(b"b")];
        let top = root(&leaves);
        // The two children's hashes, taken as one 64-byte "row", hash as a leaf, not
        // as the node.
        assert!(!verify(&top, 1, 0, &[leaves[0], leaves[1]].concat(), &[]));
    }
}

//! Per-run Merkle trees in the RFC 6962 (Certificate Transparency) shape, with blake3:
//! `leaf = H(0x00 ‖ event_hash)`, `node = H(0x01 ‖ left ‖ right)`, the left subtree of
//! `n > 1` leaves holds the largest power of two smaller than `n`, and the empty tree is
//! `H("")`. Leaves passed in are event hashes; the leaf prefix is applied here.
//!
//! [`MerkleAccumulator`] computes the same root in one pass with O(log n) memory (the
//! right-to-left fold of the perfect subtrees), which is what replay and verification use.

use super::hash::Hash;

/// Why an inclusion proof cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MerkleError {
    /// The leaf index is not below the number of leaves.
    #[error("leaf index {index} is out of range for a tree of {size} leaves")]
    IndexOutOfRange { index: u64, size: u64 },
}

/// `H(0x00 ‖ x)`.
pub fn leaf_hash(event_hash: &Hash) -> Hash {
    let mut buf = [0u8; 33];
    let (_, rest) = buf.split_at_mut(1);
    rest.copy_from_slice(&event_hash.0);
    blake3::hash(&buf).into()
}

/// `H(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 65];
    let (tag, rest) = buf.split_at_mut(1);
    tag.copy_from_slice(&[0x01]);
    let (l, r) = rest.split_at_mut(32);
    l.copy_from_slice(&left.0);
    r.copy_from_slice(&right.0);
    blake3::hash(&buf).into()
}

/// The root of the empty tree: `H("")`.
pub fn empty_root() -> Hash {
    blake3::hash(b"").into()
}

/// Streaming root: push event hashes in order, read the root at any point.
#[derive(Debug, Clone, Default)]
pub struct MerkleAccumulator {
    /// Roots of the perfect subtrees, largest first; their sizes are the set bits of `count`.
    peaks: Vec<Hash>,
    count: u64,
}

impl MerkleAccumulator {
    pub fn new() -> Self {
        MerkleAccumulator {
            peaks: Vec::with_capacity(64),
            count: 0,
        }
    }

    /// Number of leaves pushed.
    pub fn len(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Adds the next leaf (an event hash).
    pub fn push(&mut self, event_hash: &Hash) {
        let mut cur = leaf_hash(event_hash);
        let mut c = self.count;
        while c & 1 == 1 {
            match self.peaks.pop() {
                Some(left) => cur = node_hash(&left, &cur),
                None => break,
            }
            c >>= 1;
        }
        self.peaks.push(cur);
        self.count += 1;
    }

    /// The RFC 6962 root of the leaves pushed so far.
    pub fn root(&self) -> Hash {
        let mut iter = self.peaks.iter().rev();
        match iter.next() {
            None => empty_root(),
            Some(last) => iter.fold(*last, |acc, left| node_hash(left, &acc)),
        }
    }
}

/// The RFC 6962 root over `leaves` (event hashes).
pub fn merkle_root(leaves: &[Hash]) -> Hash {
    let mut acc = MerkleAccumulator::new();
    leaves.iter().for_each(|l| acc.push(l));
    acc.root()
}

/// Largest power of two strictly smaller than `n` (n ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The audit path of leaf `index` (RFC 6962 §2.1.1 `PATH`), bottom-up.
pub fn inclusion_proof(leaves: &[Hash], index: usize) -> Result<Vec<Hash>, MerkleError> {
    if index >= leaves.len() {
        return Err(MerkleError::IndexOutOfRange {
            index: index as u64,
            size: leaves.len() as u64,
        });
    }
    let mut path = Vec::new();
    path_into(leaves, index, &mut path);
    Ok(path)
}

fn path_into(leaves: &[Hash], m: usize, out: &mut Vec<Hash>) {
    if leaves.len() <= 1 {
        return;
    }
    let k = split(leaves.len());
    let (left, right) = leaves.split_at(k);
    if m < k {
        path_into(left, m, out);
        out.push(merkle_root(right));
    } else {
        path_into(right, m - k, out);
        out.push(merkle_root(left));
    }
}

/// Checks an audit path (RFC 9162 §2.1.3.2): is `event_hash` leaf `index` of the tree of
/// `size` leaves with this `root`?
pub fn verify_inclusion(
    root: &Hash,
    event_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
) -> bool {
    if index >= size {
        return false;
    }
    let mut f = index;
    let mut s = size - 1;
    let mut r = leaf_hash(event_hash);
    for p in proof {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r == *root
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| Hash::from(blake3::hash(&(i as u64).to_be_bytes())))
            .collect()
    }

    /// RFC 6962 §2.1 MTH, written as literally as possible.
    fn naive_root(d: &[Hash]) -> Hash {
        match d.len() {
            0 => Hash::from(blake3::hash(b"")),
            1 => {
                let mut b = vec![0u8];
                b.extend_from_slice(&d[0].0);
                Hash::from(blake3::hash(&b))
            }
            n => {
                let mut k = 1;
                while k * 2 < n {
                    k *= 2;
                }
                let mut b = vec![1u8];
                b.extend_from_slice(&naive_root(&d[..k]).0);
                b.extend_from_slice(&naive_root(&d[k..]).0);
                Hash::from(blake3::hash(&b))
            }
        }
    }

    #[test]
    fn hand_computed_small_trees() {
        let d = leaves(3);
        let l: Vec<Hash> = d.iter().map(leaf_hash).collect();
        assert_eq!(merkle_root(&[]), Hash::from(blake3::hash(b"")));
        assert_eq!(merkle_root(&d[..1]), l[0]);
        assert_eq!(merkle_root(&d[..2]), node_hash(&l[0], &l[1]));
        // n = 3: split at 2, so ((0,1),2) — not (0,(1,2)).
        assert_eq!(merkle_root(&d), node_hash(&node_hash(&l[0], &l[1]), &l[2]));
        let d5 = leaves(5);
        let l5: Vec<Hash> = d5.iter().map(leaf_hash).collect();
        let left = node_hash(&node_hash(&l5[0], &l5[1]), &node_hash(&l5[2], &l5[3]));
        assert_eq!(merkle_root(&d5), node_hash(&left, &l5[4]));
    }

    #[test]
    fn matches_naive_rfc6962_on_1_to_9_and_more() {
        for n in (0..=9).chain([16, 17, 31, 33, 100]) {
            let d = leaves(n);
            assert_eq!(merkle_root(&d), naive_root(&d), "n = {n}");
        }
    }

    #[test]
    fn leaf_and_node_prefixes_differ() {
        let a = Hash([1; 32]);
        let b = Hash([2; 32]);
        let mut raw = Vec::new();
        raw.extend_from_slice(&a.0);
        raw.extend_from_slice(&b.0);
        assert_ne!(node_hash(&a, &b), Hash::from(blake3::hash(&raw)));
        assert_ne!(leaf_hash(&a), Hash::from(blake3::hash(&a.0)));
    }

    #[test]
    fn every_proof_verifies_for_1_to_9_leaves() {
        for n in 1..=9usize {
            let d = leaves(n);
            let root = merkle_root(&d);
            for (i, leaf) in d.iter().enumerate() {
                let proof = inclusion_proof(&d, i).unwrap_or_default();
                assert!(
                    verify_inclusion(&root, leaf, i as u64, n as u64, &proof),
                    "n = {n}, i = {i}"
                );
            }
        }
    }

    #[test]
    fn tampered_proofs_fail() {
        let d = leaves(7);
        let root = merkle_root(&d);
        let proof = inclusion_proof(&d, 5).unwrap_or_default();
        assert!(verify_inclusion(&root, &d[5], 5, 7, &proof));
        // wrong leaf, index, size, root
        assert!(!verify_inclusion(&root, &d[4], 5, 7, &proof));
        assert!(!verify_inclusion(&root, &d[5], 4, 7, &proof));
        assert!(!verify_inclusion(&root, &d[5], 5, 6, &proof));
        // (Size 8 would pass here: the tree size is an input the verifier trusts, as in
        // RFC 9162, which binds it through the signed tree head.)
        assert!(!verify_inclusion(&Hash([9; 32]), &d[5], 5, 7, &proof));
        // each path element flipped
        for j in 0..proof.len() {
            let mut bad = proof.clone();
            bad[j].0[0] ^= 1;
            assert!(!verify_inclusion(&root, &d[5], 5, 7, &bad), "element {j}");
        }
        // truncated and extended paths
        assert!(!verify_inclusion(
            &root,
            &d[5],
            5,
            7,
            &proof[..proof.len() - 1]
        ));
        let mut longer = proof.clone();
        longer.push(root);
        assert!(!verify_inclusion(&root, &d[5], 5, 7, &longer));
    }

    #[test]
    fn proof_for_missing_leaf_is_an_error() {
        assert_eq!(
            inclusion_proof(&leaves(3), 3),
            Err(MerkleError::IndexOutOfRange { index: 3, size: 3 })
        );
        assert!(!verify_inclusion(&empty_root(), &Hash::ZERO, 0, 0, &[]));
    }

    #[test]
    fn accumulator_root_at_every_prefix() {
        let d = leaves(20);
        let mut acc = MerkleAccumulator::new();
        assert_eq!(acc.root(), naive_root(&[]));
        for (i, l) in d.iter().enumerate() {
            acc.push(l);
            assert_eq!(acc.root(), naive_root(&d[..=i]), "prefix {}", i + 1);
        }
        assert_eq!(acc.len(), 20);
    }
}

"""The Merkle tree against RFC 9162: known roots, every proof of small trees, mutated proofs."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.merkle import (
    EMPTY_ROOT,
    Frontier,
    ProofError,
    consistency_proof,
    in_memory,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

#: The leaves and tree heads of the RFC 6962 test data (certificate-transparency-go's
#: merkle tests), the same hashing RFC 9162 keeps.
LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f")]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def reference_root(leaves: list[bytes]) -> bytes:
    """MTH written straight from RFC 9162 §2.1.1, recursively."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


def hashes(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def collect(seen: dict[tuple[int, int], bytes]) -> Callable[[int, int, list[bytes]], None]:
    """An ``on_nodes`` that keeps every node told of, refusing one told twice."""
    def keep(level: int, first: int, nodes: list[bytes]) -> None:
        for offset, node in enumerate(nodes):
            assert (level, first + offset) not in seen
            seen[(level, first + offset)] = node
    return keep


def test_the_roots_of_the_rfc_test_data() -> None:
    leaves = [leaf_hash(entry) for entry in LEAVES]
    for size, expected in enumerate(ROOTS, start=1):
        assert root_of(leaves[:size]).hex() == expected


def test_the_empty_tree_hashes_nothing() -> None:
    assert root_of([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()


@given(st.integers(min_value=0, max_value=300))
def test_the_frontier_agrees_with_the_recursive_definition(size: int) -> None:
    leaves = hashes(size)
    assert root_of(leaves) == reference_root(leaves)


def test_the_frontier_reports_every_perfect_subtree_once() -> None:
    leaves = hashes(37)
    seen: dict[tuple[int, int], bytes] = {}
    frontier = Frontier(on_nodes=collect(seen))
    for leaf in leaves:
        frontier.append(leaf)
    lookup = in_memory(leaves)
    assert seen == {(level, index): lookup(level, index)
                    for level in range(1, 6) for index in range(37 >> level)}


def test_a_frontier_resumes_from_stored_nodes() -> None:
    leaves = hashes(45)
    resumed = Frontier.at(29, in_memory(leaves))
    for leaf in leaves[29:]:
        resumed.append(leaf)
    assert resumed.root() == reference_root(leaves)


def test_every_inclusion_proof_of_small_trees_verifies() -> None:
    for size in range(1, 34):
        leaves = hashes(size)
        root, lookup = reference_root(leaves), in_memory(leaves)
        for index in range(size):
            verify_inclusion(leaves[index], index, size, inclusion_proof(lookup, index, size),
                             root)


def test_every_consistency_proof_of_small_trees_verifies() -> None:
    leaves = hashes(33)
    lookup = in_memory(leaves)
    for second in range(0, 34):
        for first in range(0, second + 1):
            verify_consistency(first, second, reference_root(leaves[:first]),
                               reference_root(leaves[:second]),
                               consistency_proof(lookup, first, second))


def flipped(value: bytes, bit: int) -> bytes:
    data = bytearray(value)
    data[bit // 8] ^= 1 << (bit % 8)
    return bytes(data)


def test_any_bit_flipped_in_an_inclusion_proof_is_refused() -> None:
    leaves = hashes(21)
    lookup, root = in_memory(leaves), reference_root(leaves)
    for index in (0, 7, 16, 20):
        proof = inclusion_proof(lookup, index, 21)
        for position in range(len(proof)):
            for bit in range(0, 256, 37):
                mutated = [*proof]
                mutated[position] = flipped(proof[position], bit)
                with pytest.raises(ProofError):
                    verify_inclusion(leaves[index], index, 21, mutated, root)
        for bit in range(0, 256, 37):
            with pytest.raises(ProofError):
                verify_inclusion(flipped(leaves[index], bit), index, 21, proof, root)
            with pytest.raises(ProofError):
                verify_inclusion(leaves[index], index, 21, proof, flipped(root, bit))


# A tree size differing only below the path's shape (21 or 22 leaves, say) leaves an inclusion
# proof valid: the RFC binds the size to the root by signing both, and so do our checkpoints
# (tests/integration/test_receipts.py changes a receipt's size and sees it refused).
@pytest.mark.parametrize(("index", "size"), [(5, 21), (0, 1), (20, 21), (16, 21), (3, 8)])
def test_a_proof_of_the_wrong_index_size_or_length_is_refused(index: int, size: int) -> None:
    leaves = hashes(size + 1)
    lookup, root = in_memory(leaves[:size]), reference_root(leaves[:size])
    proof = inclusion_proof(lookup, index, size)
    leaf = leaves[index]
    cases = [
        (leaf, index + 1, size, proof),
        (leaf, index - 1, size, proof),
        (leaf, index, 2 * size + 1, proof),
        (leaf, index, index, proof),
        (leaf, index, size, [*proof, proof[0] if proof else leaf]),
        (leaf, index, size, [leaf, *proof]),
        (leaf, index, size, proof[:-1]) if proof else (leaf, index, size, [leaf]),
        (leaf, index, size, proof[1:]) if proof else (leaf, index, 0, proof),
    ]
    for case_leaf, case_index, case_size, case_proof in cases:
        with pytest.raises(ProofError):
            verify_inclusion(case_leaf, case_index, case_size, case_proof, root)


def test_garbage_hashes_are_refused() -> None:
    leaves = hashes(6)
    proof = inclusion_proof(in_memory(leaves), 2, 6)
    root = reference_root(leaves)
    for garbage in (b"", b"x" + proof[0], proof[0] + b"x", proof[0][:-1]):
        with pytest.raises(ProofError, match="32 bytes"):
            verify_inclusion(leaves[2], 2, 6, [garbage, *proof[1:]], root)


def test_mutated_consistency_proofs_are_refused() -> None:
    leaves = hashes(40)
    lookup = in_memory(leaves)
    for first, second in ((1, 40), (7, 40), (8, 40), (13, 32), (31, 33), (32, 40)):
        old, new = reference_root(leaves[:first]), reference_root(leaves[:second])
        proof = consistency_proof(lookup, first, second)
        for position in range(len(proof)):
            mutated = [*proof]
            mutated[position] = flipped(proof[position], 100)
            with pytest.raises(ProofError):
                verify_consistency(first, second, old, new, mutated)
        for case in ([*proof, proof[0]], proof[:-1], proof[1:], []):
            with pytest.raises(ProofError):
                verify_consistency(first, second, old, new, case)
        with pytest.raises(ProofError):
            verify_consistency(first + 1, second, old, new, proof)
        with pytest.raises(ProofError):
            verify_consistency(first, 2 * second, old, new, proof)
        with pytest.raises(ProofError):
            verify_consistency(first, second, flipped(old, 3), new, proof)


def test_two_roots_for_the_same_size_are_inconsistent() -> None:
    with pytest.raises(ProofError, match="two different root hashes"):
        verify_consistency(5, 5, root_of(hashes(5)), root_of(hashes(6)[1:]), [])


def test_perfect_batches_hash_as_single_leaves_do() -> None:
    leaves = hashes(64 + 16 + 3)
    one_by_one: dict[tuple[int, int], bytes] = {}
    batched: dict[tuple[int, int], bytes] = {}
    single = Frontier(on_nodes=collect(one_by_one))
    for leaf in leaves:
        single.append(leaf)
    frontier = Frontier(on_nodes=collect(batched))
    frontier.append_perfect(leaves[:64])
    frontier.append_perfect(leaves[64:80])
    for leaf in leaves[80:]:
        frontier.append(leaf)
    assert frontier.root() == single.root() == reference_root(leaves)
    assert batched == one_by_one
    with pytest.raises(ValueError, match="2\\^k"):
        frontier.append_perfect(leaves[:4])  # 83 is no multiple of 4


def test_an_entry_hashes_as_the_leaf_of_its_encoding() -> None:
    from uuid import UUID

    from events.entries import encode_entry, entry_hash
    aggregate = UUID("12345678-1234-5678-1234-567812345678")
    encoded = encode_entry(7, aggregate, 3, "marketplace.domain.lot:Lot.BidPlaced", b"{}")
    assert encoded == (b"\x01" + (7).to_bytes(8, "big") + aggregate.bytes
                       + (3).to_bytes(8, "big") + (36).to_bytes(2, "big")
                       + b"marketplace.domain.lot:Lot.BidPlaced" + (2).to_bytes(4, "big")
                       + b"{}")
    assert entry_hash(7, aggregate, 3, "marketplace.domain.lot:Lot.BidPlaced",
                      b"{}") == leaf_hash(encoded)

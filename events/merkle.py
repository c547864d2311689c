"""The Merkle tree of the ledger, hashed as RFC 9162 (Certificate Transparency 2.0) says.

Pure functions and one small class: a leaf is ``SHA-256(0x00 ‖ entry)``, an inner node
``SHA-256(0x01 ‖ left ‖ right)``, and the tree over n leaves splits at the largest power of
two below n (RFC 9162 §2.1.1). Proofs are made from a ``Subtrees`` source, so the same code
serves a list in memory and the node table in the database; they are checked with the
algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2, which need nothing but SHA-256.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

#: Told of perfect subtrees completed: (level, index of the first, their hashes in order).
OnNodes = Callable[[int, int, list[bytes]], None]
#: The hash of the perfect subtree ``(level, index)``: leaves ``index·2^level`` up to
#: ``(index+1)·2^level`` (exclusive). Level 0 is a leaf hash.
NodeLookup = Callable[[int, int], bytes]


class ProofError(ValueError):
    """A proof does not prove what it claims; the message says what does not hold."""


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (size ≥ 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def root_of(leaves: Sequence[bytes]) -> bytes:
    """The tree head over these leaf hashes (the hash of the empty string for none)."""
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    return frontier.root()


class Frontier:
    """The right edge of a growing tree: the roots of its perfect subtrees, largest first.

    Appending a leaf costs amortised one node hash; the frontier holds at most log2(n)
    hashes, so a tree of any size is hashed in constant memory. ``on_nodes`` is told of the
    perfect subtrees completed, as (level, index of the first, their hashes), for whoever
    stores or checks them.
    """

    __slots__ = ("_levels", "_nodes", "on_nodes", "size")

    def __init__(self, size: int = 0, nodes: Sequence[bytes] = (),
                 on_nodes: OnNodes | None = None) -> None:
        levels = [bit for bit in range(size.bit_length() - 1, -1, -1) if size >> bit & 1]
        if len(levels) != len(nodes):
            raise ValueError(f"a tree of {size} leaves has {len(levels)} frontier nodes, "
                             f"not {len(nodes)}")
        self.size = size
        self._levels = levels
        self._nodes = list(nodes)
        self.on_nodes = on_nodes

    @classmethod
    def at(cls, size: int, lookup: NodeLookup, on_nodes: OnNodes | None = None) -> Frontier:
        """The frontier of a stored tree of ``size`` leaves, read through ``lookup``."""
        nodes, start = [], 0
        for bit in range(size.bit_length() - 1, -1, -1):
            if size >> bit & 1:
                nodes.append(lookup(bit, start >> bit))
                start += 1 << bit
        return cls(size, nodes, on_nodes)

    def append(self, leaf: bytes) -> None:
        self._push(0, leaf, self.size)
        self.size += 1

    def append_perfect(self, leaves: Sequence[bytes]) -> None:
        """Appends 2^k leaves at once, where the tree's size is a multiple of 2^k: their
        subtree is hashed level by level (far fewer Python steps than one leaf at a time)."""
        count = len(leaves)
        if count == 0 or count & (count - 1) or self.size % count:
            raise ValueError("append_perfect takes 2^k leaves on a multiple of 2^k")
        level, nodes = 0, list(leaves)
        sha256 = hashlib.sha256
        while len(nodes) > 1:
            nodes = [sha256(b"\x01" + nodes[i] + nodes[i + 1]).digest()
                     for i in range(0, len(nodes), 2)]
            level += 1
            if self.on_nodes is not None:
                self.on_nodes(level, self.size >> level, nodes)
        self._push(level, nodes[0], self.size >> level)
        self.size += count

    def _push(self, level: int, node: bytes, index: int) -> None:
        levels, nodes = self._levels, self._nodes
        while levels and levels[-1] == level:
            levels.pop()
            node = node_hash(nodes.pop(), node)
            level += 1
            index >>= 1
            if self.on_nodes is not None:
                self.on_nodes(level, index, [node])
        levels.append(level)
        nodes.append(node)

    def root(self) -> bytes:
        if not self._nodes:
            return EMPTY_ROOT
        root = self._nodes[-1]
        for node in reversed(self._nodes[:-1]):
            root = node_hash(node, root)
        return root

    @property
    def nodes(self) -> list[bytes]:
        return list(self._nodes)


def subtree_hash(lookup: NodeLookup, start: int, end: int) -> bytes:
    """MTH of leaves [start, end), where ``start`` is aligned as the RFC's recursion aligns it
    (a multiple of the largest power of two not above ``end - start``)."""
    size = end - start
    if size <= 0:
        raise ValueError("a subtree holds at least one leaf")
    if size & (size - 1) == 0 and start % size == 0:
        level = size.bit_length() - 1
        return lookup(level, start >> level)
    k = _split(size)
    return node_hash(subtree_hash(lookup, start, start + k), subtree_hash(lookup, start + k, end))


def inclusion_proof(lookup: NodeLookup, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1, bottom-up."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(subtree_hash(lookup, start + k, end))
            end = start + k
        else:
            path.append(subtree_hash(lookup, start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(lookup: NodeLookup, first: int, second: int) -> list[bytes]:
    """PROOF(first, D[second]) of RFC 9162 §2.1.4.1; empty when first is 0 or second."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from {first} leaves to {second}")
    if first in (0, second):
        return []
    proof: list[bytes] = []
    start, end, whole = 0, second, True
    m = first
    while True:
        size = end - start
        if m == size:
            if not whole:
                proof.append(subtree_hash(lookup, start, end))
            break
        k = _split(size)
        if m <= k:
            proof.append(subtree_hash(lookup, start + k, end))
            end = start + k
        else:
            proof.append(subtree_hash(lookup, start, start + k))
            start += k
            m -= k
            whole = False
    proof.reverse()
    return proof


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes],
                     root: bytes) -> None:
    """RFC 9162 §2.1.3.2; raises ProofError unless ``leaf`` is leaf ``index`` of ``root``."""
    _check_hashes([leaf, root, *proof])
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of {size} leaves")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof has more hashes than the tree has levels")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the inclusion proof has fewer hashes than the tree has levels")
    if r != root:
        raise ProofError("the inclusion proof does not lead to the checkpoint's root hash")


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       proof: Sequence[bytes]) -> None:
    """RFC 9162 §2.1.4.2; raises ProofError unless the tree of ``second`` leaves with
    ``second_root`` extends the tree of ``first`` leaves with ``first_root``."""
    _check_hashes([first_root, second_root, *proof])
    if not 0 <= first <= second:
        raise ProofError(f"a tree of {second} leaves cannot extend one of {first}")
    if first == second:
        if proof:
            raise ProofError("two trees of the same size need an empty consistency proof")
        if first_root != second_root:
            raise ProofError(f"two different root hashes for the same {first} leaves")
        return
    if first == 0:
        if proof:
            raise ProofError("every tree extends the empty tree; the proof must be empty")
        if first_root != EMPTY_ROOT:
            raise ProofError("the root hash of the empty tree is not SHA-256 of nothing")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof has more hashes than the trees have levels")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the consistency proof has fewer hashes than the trees have levels")
    if fr != first_root:
        raise ProofError("the consistency proof does not lead to the earlier root hash")
    if sr != second_root:
        raise ProofError("the consistency proof does not lead to the later root hash")


def in_memory(leaves: Sequence[bytes]) -> NodeLookup:
    """A node lookup over leaf hashes held in a list (tests, small trees); O(2^level)."""
    def lookup(level: int, index: int) -> bytes:
        start = index << level
        return root_of(leaves[start:start + (1 << level)])
    return lookup


def _check_hashes(hashes: Iterable[bytes]) -> None:
    for value in hashes:
        if not isinstance(value, bytes) or len(value) != HASH_SIZE:
            raise ProofError(f"every hash is {HASH_SIZE} bytes of SHA-256")

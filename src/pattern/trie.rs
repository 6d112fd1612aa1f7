//! Subscription tries: prefix sets matched against a message's first frame.
//!
//! [`Trie`] is the counted prefix set of SUB and XSUB (what they subscribed to, and how
//! often); [`MTrie`] maps each prefix to the set of pipes subscribed to it, for PUB and
//! XPUB. Both keep their nodes in one arena and walk it without recursion, so topics of
//! any length cost neither stack depth nor one allocation per node.

use crate::pipe::PipeId;

/// What a node holds; a node holding nothing and without children is removed.
trait NodeValue: Default {
    fn is_empty(&self) -> bool;
}

impl NodeValue for u32 {
    fn is_empty(&self) -> bool {
        *self == 0
    }
}

impl NodeValue for Vec<PipeId> {
    fn is_empty(&self) -> bool {
        Vec::is_empty(self)
    }
}

type NodeIdx = u32;

const ROOT: NodeIdx = 0;

#[derive(Default)]
struct Node<V> {
    value: V,
    /// Children by the next byte of the prefix, sorted by that byte.
    children: Vec<(u8, NodeIdx)>,
}

impl<V> Node<V> {
    fn child(&self, byte: u8) -> Option<NodeIdx> {
        self.children
            .binary_search_by_key(&byte, |&(b, _)| b)
            .ok()
            .map(|i| self.children[i].1)
    }
}

/// A prefix tree in an arena; node 0 is the root (the empty prefix).
struct PrefixTree<V> {
    nodes: Vec<Node<V>>,
    free: Vec<NodeIdx>,
}

impl<V: NodeValue> Default for PrefixTree<V> {
    fn default() -> Self {
        PrefixTree {
            nodes: vec![Node::default()],
            free: Vec::new(),
        }
    }
}

impl<V: NodeValue> PrefixTree<V> {
    fn alloc(&mut self) -> NodeIdx {
        match self.free.pop() {
            Some(i) => i,
            None => {
                self.nodes.push(Node::default());
                (self.nodes.len() - 1) as NodeIdx
            }
        }
    }

    /// The node of `prefix`, if it exists.
    fn find(&self, prefix: &[u8]) -> Option<NodeIdx> {
        let mut node = ROOT;
        for &b in prefix {
            node = self.nodes[node as usize].child(b)?;
        }
        Some(node)
    }

    /// The node of `prefix`, created (with its path) if missing.
    fn find_or_insert(&mut self, prefix: &[u8]) -> NodeIdx {
        let mut node = ROOT;
        for &b in prefix {
            let children = &self.nodes[node as usize].children;
            node = match children.binary_search_by_key(&b, |&(c, _)| c) {
                Ok(i) => children[i].1,
                Err(i) => {
                    let new = self.alloc();
                    self.nodes[node as usize].children.insert(i, (b, new));
                    new
                }
            };
        }
        node
    }

    fn value_mut(&mut self, node: NodeIdx) -> &mut V {
        &mut self.nodes[node as usize].value
    }

    fn is_redundant(&self, node: NodeIdx) -> bool {
        let n = &self.nodes[node as usize];
        n.value.is_empty() && n.children.is_empty()
    }

    /// Removes the node of `prefix` if it holds nothing and has no children, together
    /// with the ancestors only it kept alive.
    fn prune(&mut self, prefix: &[u8]) {
        let Some(target) = self.find(prefix) else {
            return;
        };
        if prefix.is_empty() || !self.is_redundant(target) {
            return;
        }
        // The deepest ancestor that stays: the root, or one holding a value or
        // another branch. The edge below it goes, with the chain hanging from it.
        let mut keep = ROOT;
        let mut cut = 0;
        let mut node = ROOT;
        for (depth, &b) in prefix.iter().enumerate() {
            let n = &self.nodes[node as usize];
            if depth > 0 && (!n.value.is_empty() || n.children.len() > 1) {
                keep = node;
                cut = depth;
            }
            node = n.child(b).expect("path exists");
        }
        let children = &mut self.nodes[keep as usize].children;
        let i = children
            .binary_search_by_key(&prefix[cut], |&(b, _)| b)
            .expect("edge exists");
        let mut chain = Some(children.remove(i).1);
        while let Some(n) = chain {
            let node = &mut self.nodes[n as usize];
            chain = node.children.pop().map(|(_, c)| c);
            node.children = Vec::new();
            node.value = V::default();
            self.free.push(n);
        }
    }

    /// Calls `f` for the values of the nodes along `data`: the prefixes of `data` that
    /// exist in the tree, shortest first. Stops early when `f` returns false.
    fn walk_path(&self, data: &[u8], mut f: impl FnMut(&V) -> bool) {
        let mut node = ROOT;
        let mut rest = data;
        loop {
            let n = &self.nodes[node as usize];
            if !n.value.is_empty() && !f(&n.value) {
                return;
            }
            let Some((&b, tail)) = rest.split_first() else {
                return;
            };
            match n.child(b) {
                Some(c) => node = c,
                None => return,
            }
            rest = tail;
        }
    }

    /// Visits every node in lexicographic order of its prefix (a prefix before its
    /// extensions), with the prefix and its value.
    fn visit(&mut self, mut f: impl FnMut(&[u8], &mut V)) {
        let mut prefix = Vec::new();
        // (node, depth, byte leading to it)
        let mut stack: Vec<(NodeIdx, usize, u8)> = vec![(ROOT, 0, 0)];
        while let Some((node, depth, byte)) = stack.pop() {
            if depth > 0 {
                prefix.truncate(depth - 1);
                prefix.push(byte);
            }
            let n = &mut self.nodes[node as usize];
            f(&prefix, &mut n.value);
            for &(b, c) in n.children.iter().rev() {
                stack.push((c, depth + 1, b));
            }
        }
    }
}

/// The subscriptions of a SUB or XSUB: prefixes with how many times each was
/// subscribed.
#[derive(Default)]
pub struct Trie {
    tree: PrefixTree<u32>,
    prefixes: usize,
}

impl Trie {
    /// Counts one more subscription to `prefix`; true when it is new.
    pub fn add(&mut self, prefix: &[u8]) -> bool {
        let node = self.tree.find_or_insert(prefix);
        let count = self.tree.value_mut(node);
        *count = count.saturating_add(1);
        let new = *count == 1;
        if new {
            self.prefixes += 1;
        }
        new
    }

    /// Counts one subscription to `prefix` less; true when that removed it (false
    /// when it is still subscribed, or was not).
    pub fn rm(&mut self, prefix: &[u8]) -> bool {
        let Some(node) = self.tree.find(prefix) else {
            return false;
        };
        let count = self.tree.value_mut(node);
        if *count == 0 {
            return false;
        }
        *count -= 1;
        if *count > 0 {
            return false;
        }
        self.prefixes -= 1;
        self.tree.prune(prefix);
        true
    }

    /// True when some subscribed prefix is a prefix of `data`.
    pub fn check(&self, data: &[u8]) -> bool {
        let mut found = false;
        self.tree.walk_path(data, |_| {
            found = true;
            false
        });
        found
    }

    /// Calls `f` with every subscribed prefix, in lexicographic order.
    pub fn apply(&mut self, mut f: impl FnMut(&[u8])) {
        self.tree.visit(|prefix, count| {
            if *count > 0 {
                f(prefix)
            }
        });
    }

    /// Number of distinct prefixes subscribed.
    pub fn num_prefixes(&self) -> usize {
        self.prefixes
    }
}

/// Outcome of removing one pipe's subscription from an [`MTrie`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RmResult {
    /// The pipe was not subscribed to the prefix.
    NotFound,
    /// The pipe was the prefix's last subscriber.
    LastValueRemoved,
    /// Other pipes are still subscribed to the prefix.
    ValuesRemain,
}

/// The subscriptions of a PUB or XPUB: prefix -> pipes subscribed to it. A pipe is
/// subscribed to a prefix or not; repeating a subscription does not count twice.
#[derive(Default)]
pub struct MTrie {
    tree: PrefixTree<Vec<PipeId>>,
    prefixes: usize,
}

impl MTrie {
    /// Subscribes `pipe` to `prefix`; true when the prefix had no subscriber before.
    pub fn add(&mut self, prefix: &[u8], pipe: PipeId) -> bool {
        let node = self.tree.find_or_insert(prefix);
        let pipes = self.tree.value_mut(node);
        let first = pipes.is_empty();
        if !pipes.contains(&pipe) {
            pipes.push(pipe);
        }
        if first {
            self.prefixes += 1;
        }
        first
    }

    /// Unsubscribes `pipe` from `prefix`.
    pub fn rm(&mut self, prefix: &[u8], pipe: PipeId) -> RmResult {
        let Some(node) = self.tree.find(prefix) else {
            return RmResult::NotFound;
        };
        let pipes = self.tree.value_mut(node);
        if pipes.is_empty() {
            return RmResult::NotFound;
        }
        let Some(i) = pipes.iter().position(|&p| p == pipe) else {
            return RmResult::NotFound;
        };
        pipes.swap_remove(i);
        if !pipes.is_empty() {
            return RmResult::ValuesRemain;
        }
        self.prefixes -= 1;
        self.tree.prune(prefix);
        RmResult::LastValueRemoved
    }

    /// Removes every subscription of `pipe`, in lexicographic order of prefix, calling
    /// `f` for each one: only those it was the last subscriber of when `only_last`.
    pub fn rm_pipe(&mut self, pipe: PipeId, only_last: bool, mut f: impl FnMut(&[u8])) {
        let mut emptied = Vec::new();
        let mut removed = 0;
        self.tree.visit(|prefix, pipes| {
            if let Some(i) = pipes.iter().position(|&p| p == pipe) {
                pipes.swap_remove(i);
                let last = pipes.is_empty();
                if !only_last || last {
                    f(prefix);
                }
                if last {
                    removed += 1;
                    emptied.push(prefix.to_vec());
                }
            }
        });
        self.prefixes -= removed;
        for prefix in emptied {
            self.tree.prune(&prefix);
        }
    }

    /// Calls `f` for each pipe subscribed to a prefix of `data` (a pipe subscribed to
    /// several such prefixes is called once per prefix).
    pub fn match_pipes(&self, data: &[u8], mut f: impl FnMut(PipeId)) {
        self.tree.walk_path(data, |pipes| {
            pipes.iter().for_each(|&p| f(p));
            true
        });
    }

    /// Number of distinct prefixes with at least one subscriber.
    pub fn num_prefixes(&self) -> usize {
        self.prefixes
    }

    /// True when nothing is subscribed.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.prefixes == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(t: &mut Trie) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        t.apply(|p| out.push(p.to_vec()));
        out
    }

    fn matching(m: &MTrie, data: &[u8]) -> Vec<PipeId> {
        let mut out = Vec::new();
        m.match_pipes(data, |p| out.push(p));
        out.sort_unstable();
        out.dedup();
        out
    }

    #[test]
    fn trie_counts_and_matches_prefixes() {
        let mut t = Trie::default();
        assert!(!t.check(b"anything"));
        assert!(t.add(b"AB"));
        assert!(!t.add(b"AB"));
        assert!(t.add(b"B"));
        assert_eq!(t.num_prefixes(), 2);
        assert!(t.check(b"ABC") && t.check(b"AB") && t.check(b"B"));
        assert!(!t.check(b"A") && !t.check(b"") && !t.check(b"CAB"));
        assert!(!t.rm(b"AB"), "still counted once");
        assert!(t.check(b"AB"));
        assert!(t.rm(b"AB"));
        assert!(!t.rm(b"AB"), "no longer there");
        assert!(!t.rm(b"never"));
        assert!(!t.check(b"AB"));
        assert_eq!(t.num_prefixes(), 1);
        assert!(t.add(b""));
        assert!(t.check(b"") && t.check(b"xyz"));
        assert_eq!(all(&mut t), vec![b"".to_vec(), b"B".to_vec()]);
    }

    #[test]
    fn trie_applies_in_lexicographic_order_and_prunes() {
        let mut t = Trie::default();
        for p in [&b"b"[..], b"ab", b"a", b"abc", b"\x00\x01", b"\xff"] {
            t.add(p);
        }
        assert_eq!(
            all(&mut t),
            vec![
                b"\x00\x01".to_vec(),
                b"a".to_vec(),
                b"ab".to_vec(),
                b"abc".to_vec(),
                b"b".to_vec(),
                b"\xff".to_vec()
            ]
        );
        for p in [&b"b"[..], b"ab", b"a", b"abc", b"\x00\x01", b"\xff"] {
            assert!(t.rm(p));
        }
        assert_eq!(t.num_prefixes(), 0);
        assert_eq!(t.tree.nodes[0].children.len(), 0, "everything pruned");
        assert_eq!(t.tree.free.len() + 1, t.tree.nodes.len());
    }

    #[test]
    fn long_topics_need_no_recursion() {
        let topic = vec![7u8; 200_000];
        let mut t = Trie::default();
        t.add(&topic);
        assert!(t.check(&topic));
        assert!(!t.check(&topic[..1000]));
        assert!(t.rm(&topic));
        let mut m = MTrie::default();
        m.add(&topic, 1);
        m.add(&topic[..10], 1);
        let mut n = 0;
        m.rm_pipe(1, true, |_| n += 1);
        assert_eq!(n, 2);
        assert!(m.is_empty());
    }

    #[test]
    fn mtrie_tracks_pipes_per_prefix() {
        let mut m = MTrie::default();
        assert!(m.add(b"A", 1));
        assert!(!m.add(b"A", 1), "already subscribed");
        assert!(!m.add(b"A", 2));
        assert!(m.add(b"AB", 2));
        assert!(m.add(b"", 3));
        assert_eq!(m.num_prefixes(), 3);
        assert_eq!(matching(&m, b"ABC"), vec![1, 2, 3]);
        assert_eq!(matching(&m, b"A"), vec![1, 2, 3]);
        assert_eq!(matching(&m, b"B"), vec![3]);
        assert_eq!(m.rm(b"A", 1), RmResult::ValuesRemain);
        assert_eq!(m.rm(b"A", 1), RmResult::NotFound);
        assert_eq!(m.rm(b"Q", 1), RmResult::NotFound);
        assert_eq!(m.rm(b"A", 2), RmResult::LastValueRemoved);
        assert_eq!(matching(&m, b"ABC"), vec![2, 3]);
        assert_eq!(matching(&m, b"AC"), vec![3]);
        assert_eq!(m.num_prefixes(), 2);
    }

    #[test]
    fn mtrie_rm_pipe_reports_in_order() {
        let mut m = MTrie::default();
        m.add(b"B", 1);
        m.add(b"A", 1);
        m.add(b"AB", 1);
        m.add(b"A", 2);
        let mut last = Vec::new();
        m.rm_pipe(1, true, |p| last.push(p.to_vec()));
        assert_eq!(last, vec![b"AB".to_vec(), b"B".to_vec()]);
        assert_eq!(m.num_prefixes(), 1);
        m.add(b"C", 2);
        m.add(b"C", 3);
        let mut every = Vec::new();
        m.rm_pipe(2, false, |p| every.push(p.to_vec()));
        assert_eq!(every, vec![b"A".to_vec(), b"C".to_vec()]);
        assert_eq!(matching(&m, b"C"), vec![3]);
        assert_eq!(m.num_prefixes(), 1);
    }
}

//! Iterative Tarjan SCC decomposition of a region of a CSR graph.
//!
//! A *region* is the set of vertices `v` with `region[v] == r`. Running
//! [`Tarjan::run`] on a region gives every SCC of the subgraph it induces a
//! fresh region id (written into `region`), so that later passes can restrict
//! themselves to one SCC by comparing region ids. No recursion: the DFS stack
//! is explicit, so graphs of any depth are fine.

use super::explore::NONE;

/// Per-vertex data: the vertex's region and two words of Tarjan scratch
/// (DFS index and lowlink), kept together so that looking at a neighbour
/// costs one cache miss. Between runs the scratch words are free for other
/// uses (see `Node::a`, `Node::b`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node {
    pub region: u32,
    pub a: u32,
    pub b: u32,
}

/// Called with (nodes, SCC id, SCC members) for each SCC found.
pub type OnScc<'a> = dyn FnMut(&mut [Node], u32, &[u32]) + 'a;

/// Reusable Tarjan state: a [`Node`] per vertex of the whole graph.
pub struct Tarjan {
    pub nodes: Vec<Node>,
    stack: Vec<u32>,
    call: Vec<(u32, u32)>,
    scc: Vec<u32>,
}

impl Tarjan {
    /// Scratch for a graph of `n` vertices, all in region `NONE`.
    pub fn new(n: usize) -> Self {
        Tarjan {
            nodes: vec![
                Node {
                    region: NONE,
                    a: NONE,
                    b: NONE
                };
                n
            ],
            stack: Vec::new(),
            call: Vec::new(),
            scc: Vec::new(),
        }
    }

    /// Puts every vertex in region `NONE`.
    pub fn reset(&mut self) {
        for n in &mut self.nodes {
            n.region = NONE;
        }
    }

    /// Decomposes region `r` into SCCs. `verts` must list exactly the
    /// vertices whose region is `r` (roots are tried in that order). Each SCC
    /// gets id `*next_id` (then incremented) as its members' region and is
    /// passed, as soon as it is complete, to `on_scc(nodes, id, members)`, in
    /// Tarjan emission order (sinks first). `on_scc` may change the region of
    /// that SCC's members (but of no other vertex). Returns false, leaving
    /// the work unfinished, if region ids ran out.
    pub fn run(
        &mut self,
        offsets: &[u32],
        targets: &[u32],
        r: u32,
        verts: &[u32],
        next_id: &mut u32,
        on_scc: &mut OnScc<'_>,
    ) -> bool {
        let Tarjan {
            nodes,
            stack,
            call,
            scc,
        } = self;
        // a = DFS index, b = lowlink.
        for &v in verts {
            nodes[v as usize].a = NONE;
        }
        stack.clear();
        call.clear();
        let mut counter = 0u32;
        for &root in verts {
            let rn = &mut nodes[root as usize];
            if rn.region != r || rn.a != NONE {
                continue;
            }
            rn.a = counter;
            rn.b = counter;
            counter += 1;
            stack.push(root);
            call.push((root, offsets[root as usize]));
            while let Some(&(v, pos)) = call.last() {
                let vu = v as usize;
                if pos < offsets[vu + 1] {
                    if let Some(top) = call.last_mut() {
                        top.1 += 1;
                    }
                    let w = targets[pos as usize] as usize;
                    let wn = nodes[w];
                    if wn.region != r {
                        // Outside the region, or already in a finished SCC.
                        continue;
                    }
                    if wn.a == NONE {
                        nodes[w].a = counter;
                        nodes[w].b = counter;
                        counter += 1;
                        stack.push(w as u32);
                        call.push((w as u32, offsets[w]));
                    } else if wn.a < nodes[vu].b {
                        // Visited and still in region r: on the stack.
                        nodes[vu].b = wn.a;
                    }
                } else {
                    call.pop();
                    let low = nodes[vu].b;
                    if let Some(&(p, _)) = call.last() {
                        let pn = &mut nodes[p as usize];
                        if low < pn.b {
                            pn.b = low;
                        }
                    }
                    if low == nodes[vu].a {
                        if *next_id >= NONE - 1 {
                            return false;
                        }
                        let id = *next_id;
                        *next_id += 1;
                        scc.clear();
                        while let Some(w) = stack.pop() {
                            nodes[w as usize].region = id;
                            scc.push(w);
                            if w == v {
                                break;
                            }
                        }
                        on_scc(nodes, id, scc);
                    }
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csr(n: usize, edges: &[(u32, u32)]) -> (Vec<u32>, Vec<u32>) {
        let mut adj = vec![Vec::new(); n];
        for &(a, b) in edges {
            adj[a as usize].push(b);
        }
        let mut off = vec![0];
        let mut tg = Vec::new();
        for l in adj {
            tg.extend(l);
            off.push(tg.len() as u32);
        }
        (off, tg)
    }

    fn sccs(n: usize, edges: &[(u32, u32)]) -> Vec<Vec<u32>> {
        let (off, tg) = csr(n, edges);
        let verts: Vec<u32> = (0..n as u32).collect();
        let mut t = Tarjan::new(n);
        for node in &mut t.nodes {
            node.region = 0;
        }
        let mut next = 1;
        let mut out = Vec::new();
        let ok = t.run(&off, &tg, 0, &verts, &mut next, &mut |nodes, id, m| {
            assert!(m.iter().all(|&v| nodes[v as usize].region == id));
            let mut m = m.to_vec();
            m.sort();
            out.push(m);
        });
        assert!(ok);
        out
    }

    #[test]
    fn tarjan_small_graphs() {
        // 0 -> 1 -> 2 -> 0, 2 -> 3, 3 -> 4 -> 3, 5 alone.
        let got = sccs(6, &[(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (4, 3)]);
        assert_eq!(got, vec![vec![3, 4], vec![0, 1, 2], vec![5]]);
        // A DAG: every vertex is its own SCC, sinks first.
        let got = sccs(4, &[(0, 1), (0, 2), (1, 3), (2, 3)]);
        assert_eq!(got, vec![vec![3], vec![1], vec![2], vec![0]]);
    }

    #[test]
    fn tarjan_deep_chain_without_recursion() {
        let n = 1_000_000u32;
        let mut edges: Vec<(u32, u32)> = (0..n - 1).map(|i| (i, i + 1)).collect();
        edges.push((n - 1, n / 2));
        let got = sccs(n as usize, &edges);
        assert_eq!(got.len(), (n / 2 + 1) as usize);
        assert_eq!(got[0].len(), (n / 2) as usize);
    }
}

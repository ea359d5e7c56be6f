//! The doors before a login: how many connections may wait unauthenticated, and how failed
//! logins reach the audit log without letting a client write rows at will.
//!
//! - [`Gate`]: slots. Connections that have not authenticated are capped per source address
//!   and in all; a new connection over a cap displaces the oldest waiting one (of its own
//!   address, or of the address holding the most), so waiting sockets never keep a client
//!   with a key from connecting. Authenticated connections have slots of their own.
//! - [`Failures`]: failed authentications, one audit row for the first failure from a
//!   source address in a window and one summary row with the count for the rest.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use crate::text::inert_exact;
use crate::workflow::sessions::{Event, REFUSED};

/// The actor of rows about clients that have no login: a fixed word, never a name a client
/// chose.
pub const SERVER_ACTOR: &str = "serve";
/// Longest user name kept (before it is made inert) in a failure row.
pub const MAX_NAME: usize = 32;
/// User names, and reasons, listed in one summary row; the rest are counted.
const MAX_LISTED: usize = 4;
/// Distinct unlisted names (or reasons) counted in one window.
const MAX_COUNTED: usize = 1024;
/// Source addresses tracked with a window of their own; failures from more addresses in one
/// window share one summary.
const MAX_SOURCES: usize = 64;

/// Connection slots.
#[derive(Debug)]
pub(crate) struct Gate {
    max_pending: usize,
    per_address: usize,
    max_authenticated: usize,
    /// Connections not yet authenticated, by id (so oldest first), with their source and a
    /// handle on the socket that closes it.
    pending: BTreeMap<u64, (IpAddr, Option<std::net::TcpStream>)>,
    /// Waiting connections that got as far as asking to authenticate (key exchange done):
    /// displaced only after those that did not.
    asking: HashSet<u64>,
    authenticated: HashSet<u64>,
}

impl Gate {
    pub fn new(max_pending: usize, per_address: usize, max_authenticated: usize) -> Gate {
        Gate {
            max_pending: max_pending.max(1),
            per_address: per_address.max(1),
            max_authenticated,
            pending: BTreeMap::new(),
            asking: HashSet::new(),
            authenticated: HashSet::new(),
        }
    }

    /// Counts a new connection in as waiting; returns the waiting connections it displaced
    /// (their sockets are shut down, which ends them).
    pub fn admit(&mut self, id: u64, ip: IpAddr, socket: Option<std::net::TcpStream>) -> Vec<(u64, IpAddr)> {
        let mut displaced = Vec::new();
        while self.waiting_from(ip) >= self.per_address {
            let oldest = self.oldest(|a| a == ip);
            displaced.extend(oldest.and_then(|id| self.displace(id)));
        }
        while self.pending.len() >= self.max_pending {
            let mut counts: HashMap<IpAddr, usize> = HashMap::new();
            for (a, _) in self.pending.values() {
                *counts.entry(*a).or_default() += 1;
            }
            let busiest = counts.into_iter().max_by_key(|(_, n)| *n).map(|(a, _)| a);
            let oldest = self.oldest(|a| Some(a) == busiest);
            displaced.extend(oldest.and_then(|id| self.displace(id)));
        }
        self.pending.insert(id, (ip, socket));
        displaced
    }

    /// The waiting connection to displace among those from matching addresses: the oldest
    /// that has not asked to authenticate, else the oldest.
    fn oldest(&self, from: impl Fn(IpAddr) -> bool) -> Option<u64> {
        let matching: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, (a, _))| from(*a))
            .map(|(id, _)| *id)
            .collect();
        matching
            .iter()
            .find(|id| !self.asking.contains(id))
            .or_else(|| matching.first())
            .copied()
    }

    /// The connection got as far as asking to authenticate.
    pub fn asking(&mut self, id: u64) {
        if self.pending.contains_key(&id) {
            self.asking.insert(id);
        }
    }

    fn waiting_from(&self, ip: IpAddr) -> usize {
        self.pending.values().filter(|(a, _)| *a == ip).count()
    }

    fn displace(&mut self, id: u64) -> Option<(u64, IpAddr)> {
        let (ip, socket) = self.pending.remove(&id)?;
        self.asking.remove(&id);
        if let Some(socket) = socket {
            let _ = socket.shutdown(std::net::Shutdown::Both);
        }
        Some((id, ip))
    }

    /// Moves an authenticated connection to the slots of authenticated ones, or says why
    /// there is none.
    pub fn authenticate(&mut self, id: u64) -> Result<(), String> {
        if self.authenticated.contains(&id) {
            return Ok(());
        }
        if self.authenticated.len() >= self.max_authenticated {
            return Err(format!(
                "the server has {} authenticated connection(s), its limit; try again later",
                self.authenticated.len()
            ));
        }
        self.pending.remove(&id);
        self.asking.remove(&id);
        self.authenticated.insert(id);
        Ok(())
    }

    /// Counts a connection out, whatever its state.
    pub fn end(&mut self, id: u64) {
        self.pending.remove(&id);
        self.asking.remove(&id);
        self.authenticated.remove(&id);
    }

    #[cfg(test)]
    pub fn waiting(&self) -> usize {
        self.pending.len()
    }
}

/// The failures from one source in the current window.
#[derive(Debug)]
struct Window {
    started: Instant,
    /// Failures after the first (which was written at once).
    more: usize,
    names: Vec<String>,
    other_names: HashSet<u64>,
    reasons: Vec<String>,
    other_reasons: HashSet<u64>,
    /// Distinct addresses, for the shared window of overflow sources.
    addresses: HashSet<IpAddr>,
}

impl Window {
    fn new(now: Instant) -> Window {
        Window {
            started: now,
            more: 0,
            names: Vec::new(),
            other_names: HashSet::new(),
            reasons: Vec::new(),
            other_reasons: HashSet::new(),
            addresses: HashSet::new(),
        }
    }

    fn add(&mut self, ip: IpAddr, name: &str, reasons: &[String]) {
        self.more += 1;
        self.addresses.insert(ip);
        note(&mut self.names, &mut self.other_names, name.to_string());
        for r in reasons {
            note(&mut self.reasons, &mut self.other_reasons, r.clone());
        }
    }
}

/// Lists the first [`MAX_LISTED`] distinct items; counts the other distinct ones (by hash,
/// up to [`MAX_COUNTED`]).
fn note(listed: &mut Vec<String>, others: &mut HashSet<u64>, item: String) {
    use std::hash::{Hash, Hasher};
    if listed.contains(&item) {
        return;
    }
    if listed.len() < MAX_LISTED {
        listed.push(item);
    } else if others.len() < MAX_COUNTED {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        item.hash(&mut h);
        others.insert(h.finish());
    }
}

fn list(items: &[String], others: &HashSet<u64>) -> String {
    let mut text = items.join(", ");
    match others.len() {
        0 => {}
        n if n >= MAX_COUNTED => text.push_str(&format!(" and {MAX_COUNTED} or more others")),
        n => text.push_str(&format!(" and {n} other(s)")),
    }
    text
}

/// A user name a client chose, for an audit row: cut to [`MAX_NAME`] characters, quoted,
/// every character that acts or hides shown as an escape ([`inert_exact`]: a bidi override
/// as `\u{202e}`, not dropped, so `root\u{202e}abc` does not read as `rootabc`).
pub fn claimed_name(user: &str) -> String {
    let cut: String = user.chars().take(MAX_NAME).collect();
    let more = if user.chars().count() > MAX_NAME {
        "…"
    } else {
        ""
    };
    format!("\"{}{more}\"", inert_exact(&cut))
}

/// Failed authentications, aggregated per source address and window.
#[derive(Debug)]
pub(crate) struct Failures {
    window: Duration,
    sources: HashMap<IpAddr, Window>,
    /// Failures from addresses beyond [`MAX_SOURCES`] in a window.
    overflow: Option<Window>,
}

impl Failures {
    pub fn new(window: Duration) -> Failures {
        Failures {
            window,
            sources: HashMap::new(),
            overflow: None,
        }
    }

    /// One failed connection: `user` is the name it asked for (untrusted), `reasons` why
    /// each attempt failed. Returns the rows to write now: the first failure from a source
    /// in a window is written at once, with its reasons; later ones are counted.
    pub fn fail(&mut self, peer: SocketAddr, user: &str, reasons: &[String], now: Instant) -> Vec<Event> {
        let mut rows = self.due(now);
        let ip = peer.ip();
        let name = claimed_name(user);
        if let Some(w) = self.sources.get_mut(&ip) {
            w.add(ip, &name, reasons);
            return rows;
        }
        if self.sources.len() >= MAX_SOURCES {
            self.overflow
                .get_or_insert_with(|| Window::new(now))
                .add(ip, &name, reasons);
            return rows;
        }
        self.sources.insert(ip, Window::new(now));
        let why = if reasons.is_empty() {
            "no authorized key offered (only public keys are accepted)".to_string()
        } else {
            reasons.join("; ")
        };
        rows.push(Event {
            action: REFUSED,
            actor: SERVER_ACTOR.to_string(),
            target: format!("ssh:{peer}"),
            text: format!("authentication refused for user name {name}: {why}"),
        });
        rows
    }

    /// Summary rows of the windows that have ended by `now`.
    pub fn due(&mut self, now: Instant) -> Vec<Event> {
        let window = self.window;
        let ended: Vec<IpAddr> = self
            .sources
            .iter()
            .filter(|(_, w)| now.duration_since(w.started) >= window)
            .map(|(ip, _)| *ip)
            .collect();
        let mut rows = Vec::new();
        for ip in ended {
            if let Some(w) = self.sources.remove(&ip) {
                rows.extend(self.summary(Some(ip), w));
            }
        }
        if self
            .overflow
            .as_ref()
            .is_some_and(|w| now.duration_since(w.started) >= window)
        {
            if let Some(w) = self.overflow.take() {
                rows.extend(self.summary(None, w));
            }
        }
        rows
    }

    /// Summary rows of every open window (at shutdown).
    pub fn flush(&mut self) -> Vec<Event> {
        let mut rows = Vec::new();
        let sources: Vec<(IpAddr, Window)> = self.sources.drain().collect();
        for (ip, w) in sources {
            rows.extend(self.summary(Some(ip), w));
        }
        if let Some(w) = self.overflow.take() {
            rows.extend(self.summary(None, w));
        }
        rows
    }

    fn summary(&self, ip: Option<IpAddr>, w: Window) -> Option<Event> {
        if w.more == 0 {
            return None;
        }
        let lasted = self.window.as_secs().max(1);
        let from = match ip {
            Some(ip) => format!("from {ip}"),
            None => format!("from {} other address(es)", w.addresses.len()),
        };
        Some(Event {
            action: REFUSED,
            actor: SERVER_ACTOR.to_string(),
            target: match ip {
                Some(ip) => format!("ssh:{ip}"),
                None => "ssh:*".to_string(),
            },
            text: format!(
                "authentication refused {} more time(s) {from} within {lasted}s; user names asked \
                 for: {}; why: {}",
                w.more,
                list(&w.names, &w.other_names),
                if w.reasons.is_empty() {
                    "no authorized key offered".to_string()
                } else {
                    list(&w.reasons, &w.other_reasons)
                }
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn waiting_connections_are_capped_per_address_and_in_all_by_displacing_the_oldest() {
        let mut g = Gate::new(5, 2, 1);
        assert!(g.admit(1, ip(1), None).is_empty());
        assert!(g.admit(2, ip(1), None).is_empty());
        // A third from the same address displaces that address's oldest.
        assert_eq!(g.admit(3, ip(1), None), vec![(1, ip(1))]);
        assert!(g.admit(4, ip(2), None).is_empty());
        assert!(g.admit(5, ip(2), None).is_empty());
        assert!(g.admit(6, ip(3), None).is_empty());
        assert_eq!(g.waiting(), 5);
        // Full: a newcomer displaces the oldest of an address holding the most.
        let displaced = g.admit(7, ip(4), None);
        assert_eq!(displaced.len(), 1);
        assert!(
            displaced[0].1 == ip(1) || displaced[0].1 == ip(2),
            "{displaced:?}"
        );
        assert_eq!(g.waiting(), 5);
        // Authenticated connections have slots of their own.
        g.authenticate(7).unwrap();
        assert_eq!(g.waiting(), 4);
        assert!(g
            .authenticate(6)
            .unwrap_err()
            .contains("1 authenticated connection(s)"));
        g.end(7);
        g.authenticate(6).unwrap();
    }

    #[test]
    fn a_connection_asking_to_authenticate_is_displaced_after_those_that_are_not() {
        let mut g = Gate::new(16, 3, 4);
        g.admit(1, ip(1), None);
        g.admit(2, ip(1), None);
        g.admit(3, ip(1), None);
        // 1 is a client with a key, past its key exchange; 2 and 3 only hold sockets.
        g.asking(1);
        assert_eq!(g.admit(4, ip(1), None), vec![(2, ip(1))]);
        assert_eq!(g.admit(5, ip(1), None), vec![(3, ip(1))]);
        assert_eq!(g.admit(6, ip(1), None), vec![(4, ip(1))]);
        // Only when every waiting one has asked is the oldest of them displaced.
        g.asking(5);
        g.asking(6);
        assert_eq!(g.admit(7, ip(1), None), vec![(1, ip(1))]);
    }

    #[test]
    fn failures_from_one_source_are_one_row_then_one_summary_with_the_count() {
        let mut f = Failures::new(Duration::from_secs(60));
        let t0 = Instant::now();
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let long = "x".repeat(500);
        let names = ["mallory", "root\u{1b}[2J", long.as_str(), "a", "b", "c"];
        let mut rows = Vec::new();
        for i in 0..50 {
            let user = names[i % names.len()];
            rows.extend(f.fail(peer, user, &["password authentication is off".into()], t0));
        }
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].actor, SERVER_ACTOR);
        assert!(rows[0].text.contains("\"mallory\""), "{}", rows[0].text);
        assert!(f.due(t0 + Duration::from_secs(30)).is_empty());
        let summary = f.due(t0 + Duration::from_secs(61));
        assert_eq!(summary.len(), 1);
        let text = &summary[0].text;
        assert!(text.contains("49 more time(s) from 127.0.0.1"), "{text}");
        assert!(text.contains("root\\x1b[2J"), "{text}");
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(text.contains("\"a\", \"b\" and 2 other(s)"), "{text}");
        assert!(text.len() < 400, "{}", text.len());
        assert_eq!(summary[0].actor, SERVER_ACTOR);
        // A new window starts with a row of its own.
        assert_eq!(f.fail(peer, "eve", &[], t0 + Duration::from_secs(62)).len(), 1);
        assert!(f.flush().is_empty());
    }

    #[test]
    fn many_sources_share_one_summary_beyond_the_tracked_ones() {
        let mut f = Failures::new(Duration::from_secs(60));
        let t0 = Instant::now();
        let mut rows = 0;
        for i in 0..200u32 {
            let peer = SocketAddr::new(IpAddr::from(i.to_be_bytes()), 22);
            rows += f.fail(peer, "x", &[], t0).len();
        }
        assert_eq!(rows, MAX_SOURCES);
        let flushed = f.flush();
        assert_eq!(flushed.len(), 1);
        assert!(flushed[0]
            .text
            .contains("136 more time(s) from 136 other address(es)"));
    }

    /// The name asked for shows every character that acts or hides: an escape sequence as
    /// `\x1b`, a bidi override as `\u{202e}` — dropped, the name read `rootabc`.
    #[test]
    fn a_claimed_name_shows_its_hidden_characters() {
        let name = claimed_name("x\x1b]0;pwned\x07\x1b[2Jroot\u{202e}abc");
        assert_eq!(name, "\"x\\x1b]0;pwned\\x07\\x1b[2Jroot\\u{202e}abc\"");
        assert!(claimed_name("a\u{2066}b\u{200b}").contains("a\\u{2066}b\\u{200b}"));
    }
}

//! The page-load scenarios' model and properties.

use super::message::class_of;
use super::message::Framing;
use super::node::{
    Browser, Gateway, Node, NodeState, NodeTimer, Origin, OriginFault, Packet, PageConfig, Role,
    Route, Shown, BROWSER, ORIGIN,
};
use crate::scenario::Scenario;
use crate::wire::{ActionOf, StateOf, Wire};
use std::sync::Arc;

pub type PageModel = Wire<Node>;
pub type PageState = StateOf<Node>;
pub type PageAction = ActionOf<Node>;

fn browser(s: &PageState) -> &Browser {
    match &s.actors[BROWSER] {
        NodeState::Browser(b) => b,
        _ => unreachable!("actor 0 is the browser"),
    }
}

/// What the browser shows for a response is the response to the request it sent
/// last: a stale response (to an earlier request on the connection) never becomes
/// the page.
pub fn shown_is_last_response(_: &PageModel, s: &PageState) -> bool {
    let b = browser(s);
    match b.shown {
        Some(Shown::Page(st) | Shown::ErrorPage(st)) => b.last_status == Some((st, b.sent)),
        _ => true,
    }
}

// ANCHOR: zone_address_used
/// The answer the resolver accepted, the address the browser goes on to use, is the
/// zone's: the name server's A record for the name (or its NXDOMAIN).
pub fn zone_address_used(m: &PageModel, s: &PageState) -> bool {
    let cfg = &m.actors[BROWSER].cfg;
    browser(s)
        .resolver
        .answer
        .is_none_or(|a| a == crate::dns::lookup(&cfg.zone, &cfg.host))
}
// ANCHOR_END: zone_address_used

// --- the antecedents of the always-properties that are implications -----------------

/// The browser shows a response: a page, or its own error page for one.
pub fn response_shown(_: &PageModel, s: &PageState) -> bool {
    matches!(browser(s).shown, Some(Shown::Page(_) | Shown::ErrorPage(_)))
}

/// The resolver accepted an answer.
pub fn answer_accepted(_: &PageModel, s: &PageState) -> bool {
    browser(s).resolver.answer.is_some()
}

/// A final 4xx or 5xx response is shown.
pub fn error_status_shown(_: &PageModel, s: &PageState) -> bool {
    let b = browser(s);
    b.shown.is_some()
        && b.last_status
            .is_some_and(|(st, _)| matches!(class_of(st), 400 | 500))
}

fn page_of_framing(m: &PageModel, s: &PageState, framing: Framing) -> bool {
    matches!(browser(s).shown, Some(Shown::Page(_)))
        && origin(m, s).served.is_some_and(|(_, f, _)| f == framing)
}

/// A page is shown for a close-delimited response.
pub fn page_close_delimited(m: &PageModel, s: &PageState) -> bool {
    page_of_framing(m, s, Framing::Close)
}

/// A page is shown for a response with Content-Length.
pub fn page_content_length(m: &PageModel, s: &PageState) -> bool {
    page_of_framing(m, s, Framing::ContentLength)
}

/// A page is shown for a chunked response.
pub fn page_chunked(m: &PageModel, s: &PageState) -> bool {
    page_of_framing(m, s, Framing::Chunked)
}

/// The gateway said 200.
pub fn gateway_said_200(_: &PageModel, s: &PageState) -> bool {
    gateway(s).is_some_and(|g| g.said == Some(200))
}

/// The gateway said 502 or 504.
pub fn gateway_said_502_or_504(_: &PageModel, s: &PageState) -> bool {
    gateway(s).is_some_and(|g| matches!(g.said, Some(502 | 504)))
}

/// The gateway said a status of its origin's (not its own 502 or 504).
pub fn gateway_said_origin_status(_: &PageModel, s: &PageState) -> bool {
    gateway(s).is_some_and(|g| g.said.is_some_and(|st| !matches!(st, 502 | 504)))
}

/// The accepted reply answered a transmission before the last (RFC 1035 §7.3).
pub fn earlier_transmission_answered(_: &PageModel, s: &PageState) -> bool {
    let r = &browser(s).resolver;
    r.accepted.is_some_and(|i| i + 1 < r.tries())
}

/// A reply that answered no transmission was ignored, and the zone's address used.
pub fn mismatched_reply_ignored(m: &PageModel, s: &PageState) -> bool {
    browser(s).resolver.mismatched
        && browser(s).resolver.answer.is_some()
        && zone_address_used(m, s)
}

pub fn shown_something(_: &PageModel, s: &PageState) -> bool {
    browser(s).shown.is_some()
}

fn origin<'a>(m: &PageModel, s: &'a PageState) -> &'a Origin {
    match &s.actors[m.actors[BROWSER].cfg.origin_id()] {
        NodeState::Origin(o) => o,
        _ => unreachable!("the origin's id"),
    }
}

fn gateway(s: &PageState) -> Option<&Gateway> {
    match s.actors.get(ORIGIN) {
        Some(NodeState::Gateway(g)) => Some(g),
        _ => None,
    }
}

// ANCHOR: post_at_most_once
/// The origin applied the POST at most once.
pub fn post_at_most_once(m: &PageModel, s: &PageState) -> bool {
    origin(m, s).posts_applied <= 1
}
// ANCHOR_END: post_at_most_once

// ANCHOR: no_truncated_body
/// A page is shown only with the whole body the origin meant to send, for responses
/// in `framing`.
fn whole_body_rendered(m: &PageModel, s: &PageState, framing: Framing) -> bool {
    let b = browser(s);
    match (&b.shown, origin(m, s).served) {
        (Some(Shown::Page(_)), Some((_, f, len))) if f == framing => b.page_len == len,
        _ => true,
    }
}
// ANCHOR_END: no_truncated_body

pub fn whole_body_close_delimited(m: &PageModel, s: &PageState) -> bool {
    whole_body_rendered(m, s, Framing::Close)
}

pub fn whole_body_content_length(m: &PageModel, s: &PageState) -> bool {
    whole_body_rendered(m, s, Framing::ContentLength)
}

pub fn whole_body_chunked(m: &PageModel, s: &PageState) -> bool {
    whole_body_rendered(m, s, Framing::Chunked)
}

pub fn incomplete_detected(_: &PageModel, s: &PageState) -> bool {
    matches!(browser(s).shown, Some(Shown::Incomplete))
}

// ANCHOR: gateway_properties
/// The gateway says 200 only if the origin sent a 200.
pub fn gateway_200_only_if_origin(m: &PageModel, s: &PageState) -> bool {
    match gateway(s) {
        Some(g) if g.said == Some(200) => origin(m, s).answered == Some(200),
        _ => true,
    }
}

/// The gateway says 502 or 504 only when the origin failed: it reset, crashed, hung,
/// or wrote an invalid response.
pub fn gateway_error_only_if_origin_failed(m: &PageModel, s: &PageState) -> bool {
    match gateway(s) {
        Some(g) if matches!(g.said, Some(502 | 504)) => {
            matches!(origin(m, s).served, Some((f, _, _)) if f != OriginFault::Answers)
        }
        _ => true,
    }
}
// ANCHOR_END: gateway_properties

/// Apart from its own 502 and 504, the gateway's status is the one the origin sent.
pub fn gateway_relays_status(m: &PageModel, s: &PageState) -> bool {
    match gateway(s) {
        Some(g) => match g.said {
            Some(502 | 504) | None => true,
            Some(st) => origin(m, s).answered == Some(st) && g.heard == Some(st),
        },
        None => true,
    }
}

/// A page of any status shown after a response with no body: a HEAD, a 204 or a 304
/// (RFC 9112 §6.3 rule 1).
pub fn bodiless_response_shown(m: &PageModel, s: &PageState) -> bool {
    let b = browser(s);
    let head = m.actors[BROWSER].cfg.method == "HEAD";
    matches!(b.shown, Some(Shown::Page(st)) if head || st == 204 || st == 304)
}

/// The browser opened a second connection because the first response said
/// `Connection: close`, and showed the second page.
pub fn new_connection_after_close(_: &PageModel, s: &PageState) -> bool {
    let b = browser(s);
    b.cur >= 1 && !b.retried && b.answered >= 2 && page_rendered_2xx(b)
}

pub fn gateway_said_502(_: &PageModel, s: &PageState) -> bool {
    gateway(s).is_some_and(|g| g.said == Some(502))
}

pub fn gateway_said_504(_: &PageModel, s: &PageState) -> bool {
    gateway(s).is_some_and(|g| g.said == Some(504))
}

// ANCHOR: every_get_answered
/// Every GET the user made got its response.
pub fn every_get_answered(_: &PageModel, s: &PageState) -> bool {
    let b = browser(s);
    b.shown.is_some() && !b.get_failed
}
// ANCHOR_END: every_get_answered

fn page_rendered_2xx(b: &Browser) -> bool {
    matches!(b.shown, Some(Shown::Page(st)) if class_of(st) == 200)
}

/// The page of a 2xx response is shown.
pub fn page_rendered(_: &PageModel, s: &PageState) -> bool {
    page_rendered_2xx(browser(s))
}

// ANCHOR: errors_shown
/// A final 4xx or 5xx response is shown with its own status: the server's page when
/// it has a body, the browser's error page when it has none. It is never shown as a
/// success, and never as another status.
pub fn errors_shown_with_their_status(_: &PageModel, s: &PageState) -> bool {
    let b = browser(s);
    match (b.last_status, &b.shown) {
        (Some((st, _)), Some(shown)) if matches!(class_of(st), 400 | 500) => match shown {
            Shown::Page(x) => *x == st && b.page_len > 0,
            Shown::ErrorPage(x) => *x == st && b.page_len == 0,
            _ => true,
        },
        _ => true,
    }
}
// ANCHOR_END: errors_shown

/// A 2xx page, reached after at least one redirect.
pub fn redirect_followed(_: &PageModel, s: &PageState) -> bool {
    let b = browser(s);
    b.redirects >= 1 && page_rendered_2xx(b)
}

/// The browser follows at most `max_redirects` redirects in a row: it never sends
/// more requests for one click than that, plus one, plus a retry.
pub fn redirects_bounded(m: &PageModel, s: &PageState) -> bool {
    let b = browser(s);
    let max = m.actors[BROWSER].cfg.max_redirects;
    b.redirects <= max && b.sent <= max.saturating_add(3)
}

pub fn too_many_redirects(_: &PageModel, s: &PageState) -> bool {
    matches!(browser(s).shown, Some(Shown::TooManyRedirects))
}

/// A POST was turned into a GET by a redirect, and the page shown.
pub fn post_became_get(m: &PageModel, s: &PageState) -> bool {
    let b = browser(s);
    m.actors[BROWSER].cfg.method == "POST"
        && b.redirects >= 1
        && b.method.as_deref() == Some("GET")
        && page_rendered_2xx(b)
}

/// A POST was sent again, body and all, to the redirect's target (307, 308).
pub fn post_redirected_as_post(m: &PageModel, s: &PageState) -> bool {
    let b = browser(s);
    m.actors[BROWSER].cfg.method == "POST"
        && b.redirects >= 1
        && b.method.as_deref() == Some("POST")
        && page_rendered_2xx(b)
}

pub fn retry_after_shown(_: &PageModel, s: &PageState) -> bool {
    let b = browser(s);
    b.retry_after && matches!(b.last_status, Some((503, _)))
}

pub fn error_body_rendered(_: &PageModel, s: &PageState) -> bool {
    matches!(browser(s).shown, Some(Shown::Page(st)) if class_of(st) >= 400)
}

pub fn browser_error_page(_: &PageModel, s: &PageState) -> bool {
    matches!(browser(s).shown, Some(Shown::ErrorPage(_)))
}

pub fn dns_retransmitted(_: &PageModel, s: &PageState) -> bool {
    let b = browser(s);
    b.resolver.tries() >= 2 && b.resolver.answer.is_some()
}

macro_rules! shows {
    ($($f:ident => $code:literal),* $(,)?) => {
        $(pub fn $f(_: &PageModel, s: &PageState) -> bool {
            matches!(browser(s).shown, Some(Shown::Page($code) | Shown::ErrorPage($code)))
        })*
    };
}
shows! {
    shows_400 => 400, shows_401 => 401, shows_403 => 403, shows_404 => 404,
    shows_405 => 405, shows_500 => 500, shows_503 => 503, shows_502 => 502,
    shows_504 => 504, shows_418 => 418,
}

/// A page rendered after a 100 Continue.
pub fn continued(_: &PageModel, s: &PageState) -> bool {
    let b = browser(s);
    b.got_continue && matches!(b.shown, Some(Shown::Page(_)))
}

/// A 2xx code the browser does not know is rendered as a 200 (RFC 9110 §15).
pub fn unknown_2xx_rendered(_: &PageModel, s: &PageState) -> bool {
    matches!(browser(s).shown, Some(Shown::Page(st)) if st != 200 && class_of(st) == 200)
}

/// The names and kinds of the page-load properties.
pub fn catalogue() -> Vec<(&'static str, &'static str)> {
    vec![
        ("what is shown answers the last request", "always"),
        ("the browser uses the zone's address", "always"),
        ("4xx and 5xx are shown with their own status", "always"),
        ("at most max_redirects redirects in a row", "always"),
        ("eventually rendered or error shown", "eventually"),
        ("a POST takes effect at most once", "always"),
        ("every GET eventually gets a response", "eventually"),
        ("page rendered", "sometimes"),
        ("DNS query retransmitted", "sometimes"),
        (
            "a reply to an earlier transmission is accepted",
            "sometimes",
        ),
        ("a reply that matches no query is ignored", "sometimes"),
        ("redirect followed", "sometimes"),
        ("too many redirects", "sometimes"),
        ("a redirect turns the POST into a GET", "sometimes"),
        ("a redirect re-sends the POST", "sometimes"),
        ("a 503 with Retry-After reaches the browser", "sometimes"),
        ("the server's error body is rendered", "sometimes"),
        ("the browser's own error page (empty body)", "sometimes"),
        ("shows 400 Bad Request", "sometimes"),
        ("shows 401 Unauthorized", "sometimes"),
        ("shows 403 Forbidden", "sometimes"),
        ("shows 404 Not Found", "sometimes"),
        ("shows 405 Method Not Allowed", "sometimes"),
        ("shows 500 Internal Server Error", "sometimes"),
        ("shows 503 Service Unavailable", "sometimes"),
        ("shows 418, an unknown 4xx, as an error", "sometimes"),
        ("an unknown 2xx is rendered as a page", "sometimes"),
        (
            "no truncated body rendered as complete (close-delimited)",
            "always",
        ),
        (
            "no truncated body rendered as complete (Content-Length)",
            "always",
        ),
        ("no truncated body rendered as complete (chunked)", "always"),
        ("a truncated response is detected", "sometimes"),
        ("a response without a body ends with its head", "sometimes"),
        ("a new connection after Connection: close", "sometimes"),
        (
            "apart from 502/504 the gateway relays the origin's status",
            "always",
        ),
        ("100 Continue before the final response", "sometimes"),
        ("the gateway says 200 only if the origin did", "always"),
        ("502/504 only when the origin failed", "always"),
        ("the gateway answers 502", "sometimes"),
        ("the gateway answers 504", "sometimes"),
        ("shows 502 Bad Gateway", "sometimes"),
        ("shows 504 Gateway Timeout", "sometimes"),
    ]
}

pub fn prop(name: &str) -> Option<crate::check::engine::Prop<PageModel>> {
    use crate::check::engine::Prop;
    Some(match name {
        // Implications name their antecedent, so that a verdict of "holds" can say when
        // it never held; the bounds ("at most …") forbid a thing outright.
        "what is shown answers the last request" => Prop::always_if(
            name,
            "the browser shows a response",
            response_shown,
            shown_is_last_response,
        ),
        "the browser uses the zone's address" => Prop::always_if(
            name,
            "the resolver accepted an answer",
            answer_accepted,
            zone_address_used,
        ),
        "4xx and 5xx are shown with their own status" => Prop::always_if(
            name,
            "a final 4xx or 5xx response is shown",
            error_status_shown,
            errors_shown_with_their_status,
        ),
        "at most max_redirects redirects in a row" => Prop::always(name, redirects_bounded),
        "eventually rendered or error shown" => Prop::eventually(name, shown_something),
        "page rendered" => Prop::sometimes(name, page_rendered),
        "a POST takes effect at most once" => Prop::always(name, post_at_most_once),
        "every GET eventually gets a response" => Prop::eventually(name, every_get_answered),
        "DNS query retransmitted" => Prop::sometimes(name, dns_retransmitted),
        "a reply to an earlier transmission is accepted" => {
            Prop::sometimes(name, earlier_transmission_answered)
        }
        "a reply that matches no query is ignored" => {
            Prop::sometimes(name, mismatched_reply_ignored)
        }
        "redirect followed" => Prop::sometimes(name, redirect_followed),
        "too many redirects" => Prop::sometimes(name, too_many_redirects),
        "a redirect turns the POST into a GET" => Prop::sometimes(name, post_became_get),
        "a redirect re-sends the POST" => Prop::sometimes(name, post_redirected_as_post),
        "a 503 with Retry-After reaches the browser" => Prop::sometimes(name, retry_after_shown),
        "the server's error body is rendered" => Prop::sometimes(name, error_body_rendered),
        "the browser's own error page (empty body)" => Prop::sometimes(name, browser_error_page),
        "shows 400 Bad Request" => Prop::sometimes(name, shows_400),
        "shows 401 Unauthorized" => Prop::sometimes(name, shows_401),
        "shows 403 Forbidden" => Prop::sometimes(name, shows_403),
        "shows 404 Not Found" => Prop::sometimes(name, shows_404),
        "shows 405 Method Not Allowed" => Prop::sometimes(name, shows_405),
        "shows 500 Internal Server Error" => Prop::sometimes(name, shows_500),
        "shows 503 Service Unavailable" => Prop::sometimes(name, shows_503),
        "shows 418, an unknown 4xx, as an error" => Prop::sometimes(name, shows_418),
        "an unknown 2xx is rendered as a page" => Prop::sometimes(name, unknown_2xx_rendered),
        "no truncated body rendered as complete (close-delimited)" => Prop::always_if(
            name,
            "a page is shown for a close-delimited response",
            page_close_delimited,
            whole_body_close_delimited,
        ),
        "no truncated body rendered as complete (Content-Length)" => Prop::always_if(
            name,
            "a page is shown for a response with Content-Length",
            page_content_length,
            whole_body_content_length,
        ),
        "no truncated body rendered as complete (chunked)" => Prop::always_if(
            name,
            "a page is shown for a chunked response",
            page_chunked,
            whole_body_chunked,
        ),
        "a truncated response is detected" => Prop::sometimes(name, incomplete_detected),
        "a response without a body ends with its head" => {
            Prop::sometimes(name, bodiless_response_shown)
        }
        "a new connection after Connection: close" => {
            Prop::sometimes(name, new_connection_after_close)
        }
        "apart from 502/504 the gateway relays the origin's status" => Prop::always_if(
            name,
            "the gateway said a status other than 502 or 504",
            gateway_said_origin_status,
            gateway_relays_status,
        ),
        "100 Continue before the final response" => Prop::sometimes(name, continued),
        "the gateway says 200 only if the origin did" => Prop::always_if(
            name,
            "the gateway said 200",
            gateway_said_200,
            gateway_200_only_if_origin,
        ),
        "502/504 only when the origin failed" => Prop::always_if(
            name,
            "the gateway said 502 or 504",
            gateway_said_502_or_504,
            gateway_error_only_if_origin_failed,
        ),
        "the gateway answers 502" => Prop::sometimes(name, gateway_said_502),
        "the gateway answers 504" => Prop::sometimes(name, gateway_said_504),
        "shows 502 Bad Gateway" => Prop::sometimes(name, shows_502),
        "shows 504 Gateway Timeout" => Prop::sometimes(name, shows_504),
        _ => return None,
    })
}

/// The model of a `model = "page-load"` scenario (validated).
pub fn build(scn: &Scenario) -> PageModel {
    let h = scn.http.as_ref().expect("validated: [http]");
    let t = scn.tcp.as_ref().expect("validated: [tcp]");
    let url = url::Url::parse(&h.url).expect("validated: the URL parses");
    let host: Arc<str> = Arc::from(url.host_str().unwrap_or_default());
    let mut first = url.path().to_string();
    if let Some(q) = url.query() {
        first.push('?');
        first.push_str(q);
    }
    let mut targets = vec![first];
    targets.extend(h.links.iter().cloned());
    let cfg = Arc::new(PageConfig {
        tcp: crate::tcp::model::tcp_config(scn),
        isns: t.isns.clone(),
        host: host.clone(),
        port: url.port_or_known_default().unwrap_or(80),
        targets,
        method: h.method.clone(),
        send_host: h.send_host,
        user_agent: h.user_agent.clone(),
        dns_tries: h.dns_tries,
        dns_rto: h.dns_rto,
        deadline: h.deadline.0,
        max_redirects: h.max_redirects,
        origin: url.origin().ascii_serialization(),
        zone: vec![(
            host.to_string(),
            h.address
                .parse::<std::net::Ipv4Addr>()
                .map(|a| a.octets())
                .unwrap_or([0; 4]),
        )],
        keepalive: h.keepalive.as_ref().map(|k| super::node::KeepAlive {
            target: k.target.clone(),
            methods: k.methods.clone(),
            think: k.think,
            idle: k.idle,
            retry: k.retry,
        }),
        framings: h.origin.framing.clone(),
        chunks: h.origin.chunks,
        idle_close: h.origin.idle_close,
        faults: std::iter::once(super::node::OriginFault::Answers)
            .chain(
                h.origin
                    .faults
                    .iter()
                    .copied()
                    .filter(|f| *f != super::node::OriginFault::Answers),
            )
            .collect(),
        gateway: h.gateway.as_ref().map(|g| g.timeout),
        expect_continue: h.expect_continue,
        dns_ids: h.dns_ids.ids(),
        dns_ports: h.dns_ports.clone(),
        spoofer: h.dns_spoofer.as_ref().map(|s| super::node::SpooferConfig {
            answer: s.answer_octets(),
            ids: s.ids.clone(),
            ports: s.ports.clone(),
            forgeries: s.forgeries,
        }),
        routes: h
            .route
            .iter()
            .map(|r| Route {
                method: r.method.clone(),
                path: r.path.clone(),
                status: r.status,
                body: r.body.clone().unwrap_or_else(|| format!("{} body", r.path)),
                headers: r
                    .headers
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            })
            .collect(),
    });
    let node = |role| Node {
        role,
        cfg: cfg.clone(),
    };
    let (mut actors, mut roles) = if cfg.gateway.is_some() {
        (
            vec![
                node(Role::Browser),
                node(Role::NameServer),
                node(Role::Gateway),
                node(Role::Origin),
            ],
            vec!["browser", "resolver", "gateway", "origin"],
        )
    } else {
        (
            vec![
                node(Role::Browser),
                node(Role::NameServer),
                node(Role::Origin),
            ],
            vec!["browser", "resolver", "server"],
        )
    };
    // The spoofer comes after every other actor, so that their ids stay put.
    if cfg.spoofer.is_some() {
        actors.push(node(Role::Spoofer));
        roles.push("spoofer");
    }
    let mut m = Wire::new(
        actors,
        roles.into_iter().map(String::from).collect(),
        crate::tcp::model::faults(scn),
    );
    m.fair_loss = scn.fairness.fair_loss;
    m.properties = vec![
        stateright::Property::always(
            "what is shown answers the last request",
            shown_is_last_response,
        ),
        stateright::Property::always("the browser uses the zone's address", zone_address_used),
        stateright::Property::sometimes("page rendered", page_rendered),
    ];
    m
}

// --- how reports show packets and actors --------------------------------------------

impl crate::report::Envelope for Packet {
    fn label(&self) -> String {
        match self {
            Packet::Tcp(0, s) => s.to_string(),
            Packet::Tcp(c, s) => format!("{s} (conn {c})"),
            Packet::Udp(d) => d.to_string(),
        }
    }
    fn flags(&self) -> Option<String> {
        match self {
            Packet::Tcp(_, s) => Some(s.ctl.letters()),
            Packet::Udp(_) => None,
        }
    }
    fn seq(&self) -> Option<u32> {
        match self {
            Packet::Tcp(_, s) => Some(s.seq as u32),
            Packet::Udp(_) => None,
        }
    }
    fn ack(&self) -> Option<u32> {
        match self {
            Packet::Tcp(_, s) => s.is_ack().then_some(s.ack as u32),
            Packet::Udp(_) => None,
        }
    }
    fn len(&self) -> u32 {
        match self {
            Packet::Tcp(_, s) => s.len() as u32,
            Packet::Udp(_) => 1,
        }
    }
    fn incarnation(&self) -> Option<u8> {
        match self {
            Packet::Tcp(_, s) => Some(s.inc),
            Packet::Udp(_) => None,
        }
    }
}

impl crate::report::Lifeline for NodeState {
    fn phase(&self) -> String {
        match self {
            NodeState::Browser(b) => match &b.shown {
                Some(Shown::Page(s)) => format!(
                    "rendered {s} ({}-byte body) / {}",
                    b.page_len,
                    b.tcb().state.name()
                ),
                Some(other) => format!("shows {other} / {}", b.tcb().state.name()),
                None if b.resolver.answer.is_none() => "resolving".into(),
                None => b.tcb().state.name().into(),
            },
            NodeState::NameServer => "serving".into(),
            NodeState::Spoofer(0) => "forged replies sent".into(),
            NodeState::Spoofer(1) => "1 forged reply to send".into(),
            NodeState::Spoofer(n) => format!("{n} forged replies to send"),
            NodeState::Gateway(g) => match g.said {
                Some(st) => format!(
                    "said {st} / {} + {}",
                    g.down.state.name(),
                    g.up.state.name()
                ),
                None => format!("{} + {}", g.down.state.name(), g.up.state.name()),
            },
            NodeState::Origin(o) => {
                let v: Vec<&str> = o.conns.iter().map(|c| c.tcb.state.name()).collect();
                v.join(" + ")
            }
        }
    }
    fn connection(&self) -> Option<u32> {
        match self {
            NodeState::Browser(b) => Some(b.cur as u32),
            _ => None,
        }
    }
}

impl crate::report::TimerName for NodeTimer {
    fn describe(&self) -> String {
        match self {
            NodeTimer::Tcp(c, t) => format!("TCP {t:?} timer of conn {c} fires"),
            NodeTimer::Next => "the user asks for the next page".into(),
            NodeTimer::Idle(c) => format!("the idle timer of conn {c} fires: the server closes it"),
            NodeTimer::DnsRetry => "the DNS retransmission timer fires".into(),
            NodeTimer::Deadline => "the response deadline passes".into(),
            NodeTimer::Continue => "the wait for 100 Continue ends".into(),
        }
    }
}

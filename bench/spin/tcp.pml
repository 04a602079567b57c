/*
 * synack's TCP model (RFC 9293 connection management on a timed, lossy network) as a
 * Promela twin, for a side-by-side comparison with SPIN.
 *
 * It is the abstraction of src/wire and src/tcp, transcribed: two hosts (the client,
 * actor 0, opens actively once; the server, actor 1, listens), segments in flight with
 * an age, MSL, loss and duplication budgets, a network buffer, timers with deadlines,
 * the ISN generators, and the same ghost fields that the properties read. One synack
 * action is one d_step here, so that SPIN's reachable states are synack's unique
 * states (bench/spin/README.md says where the counts differ, and why).
 *
 * Configurations (spin -D...): -DHANDSHAKE is models/tcp-handshake.toml, -DTEARDOWN
 * is models/tcp-teardown.toml. Only what those two scenarios use is modelled: no
 * application data, no delayed ACK, no FIN-WAIT-2 timer, no crash, one incarnation.
 */

#if !defined(HANDSHAKE) && !defined(TEARDOWN)
#define HANDSHAKE
#endif

#ifdef HANDSHAKE
#define SPACE    8      /* isns = [0, 4], space = 8 */
#ifndef CAP
#define CAP      3      /* capacity = 3 */
#endif
#define LB       1      /* loss_budget = 1 */
#define DB       1      /* duplication = true, duplication_budget = 1 */
#define CLOCK    0      /* isn = "oracle" */
#define PACE     0      /* pace = 0 (the default) */
#define SERVER_FIRST 1  /* server_close = "first" */
#define RFC1337  0      /* ignore_rst_in_time_wait = false */
#endif
#ifdef TEARDOWN
#define SPACE    16     /* space = 16 */
#ifndef CAP
#define CAP      4      /* capacity = 4 */
#endif
#define LB       1      /* loss_budget = 1 */
#define DB       0      /* duplication = false */
#define CLOCK    1      /* isn = "clock", isn_clock = 1, offsets [0, space/2] */
#define PACE     1      /* pace = 1 */
#define SERVER_FIRST 0  /* server_close = "after-peer" */
#define RFC1337  1      /* ignore_rst_in_time_wait = true */
#endif

#define MSL      2      /* msl = 2 ticks */
#define RTO      1      /* rto = 1 */
#define RTO_MAX  4      /* rto_max = 4: backoff 1, 2, 4 */
#define MAXR     2      /* retries = 2 */
#define TW_TICKS 4      /* time_wait = 2 (MSL) */
#define WND      2      /* rcv_wnd = 2 (the default) */
#define SPAN     3      /* the oracle's window: SYN + data (0) + FIN, plus one */
#define SAT      3      /* ghost counters saturate here */

/* Connection states (RFC 9293 section 3.3.2). */
#define CLOSED    0
#define LISTEN    1
#define SYNSENT   2
#define SYNRCVD   3
#define ESTAB     4
#define FINWAIT1  5
#define FINWAIT2  6
#define CLOSEWAIT 7
#define CLOSING   8
#define LASTACK   9
#define TIMEWAIT  10

/* How a connection ended (Option<Outcome>: 0 is None). */
#define O_NONE     0
#define O_NORMAL   1
#define O_RESET    2
#define O_TIMEDOUT 3

/* Control bits, as src/tcp/segment.rs numbers them. */
#define C_SYN 1
#define C_FIN 2
#define C_RST 4
#define C_ACK 16

#define REXMIT 1           /* ghost note: sent by the retransmission timer */
#define RST_OF_SYN_SENT 2  /* ghost note: SYN-SENT's RST for an unacceptable ACK */

#define UNARMED 255

/* Sequence arithmetic modulo the space (x, y already in 0..SPACE). */
#define ADD(x, y)   (((x) + (y)) % SPACE)
#define SUB(x, y)   (((x) + SPACE - (y)) % SPACE)
#define LT(x, y)    (SUB(y, x) != 0 && SUB(y, x) * 2 <= SPACE)
#define LE(x, y)    ((x) == (y) || LT(x, y))
#define INWIN(x, s, w) (SUB(x, s) < (w))

/*
 * A segment in flight is one int, packed so that ordering the ints orders the
 * entries as Rust's derived Ord does (src, dst, age, delivered, seq, ack, ctl, inc,
 * note): the flight is kept sorted, so equal multisets are equal arrays.
 */
#define SRC(f)  (((f) >> 23) & 1)
#define AGE(f)  (((f) >> 21) & 3)
#define DLV(f)  (((f) >> 20) & 1)
#define SEQ(f)  (((f) >> 15) & 31)
#define ACKN(f) (((f) >> 10) & 31)
#define CTL(f)  (((f) >> 4) & 63)
#define INC(f)  (((f) >> 2) & 3)
#define NOTE(f) ((f) & 3)
#define DLV_BIT (1 << 20)
#define HAS(c, b) (((c) & (b)) != 0)
/* Segment::new: the acknowledgment number is kept only with ACK. */
#define SEG(src, sq, ak, ctl, inc, note) \
    (((src) << 23) | ((sq) << 15) | ((HAS(ctl, C_ACK) -> (ak) : 0) << 10) \
     | ((ctl) << 4) | ((inc) << 2) | (note))
#define SLEN(c) ((HAS(c, C_SYN) -> 1 : 0) + (HAS(c, C_FIN) -> 1 : 0))

/* ---- the state: both hosts (index 0 client, 1 server), their timers, the network -- */

/* Tcb */
byte st[2] = { CLOSED, LISTEN };
bit  passive[2] = { 0, 1 };
byte iss[2]; byte una[2]; byte nxt[2]; byte irs[2]; byte rnxt[2];
bit  fin_sent[2];
byte retries[2];
bit  psyn[2]; byte psyn_seq[2]; byte psyn_inc[2];   /* pending_syn */
byte inc[2] = { 1, 0 };                              /* ghost incarnation */
/* Host */
bit  app_closed[2];
byte outcome[2];
bit  rst_seen[2];
byte accepted[2];
bit  old_acc[2];
byte opens[2 * SPACE];   /* ghost: active OPENs per ISS */
byte est[2 * SPACE];     /* ghost: entries into ESTABLISHED per IRS */
byte ended_closed[2]; byte ended_rst[2]; byte ended_abort[2];
#if CLOCK
byte isn_reads[2];
#endif
bit  choice[2] = { 1, 0 };   /* a pending choose_random("isn") */
/* Timers: ticks until due (lo = hi for every timer these scenarios arm). */
byte t_rx[2] = UNARMED; byte t_tw[2] = UNARMED; byte t_app[2] = UNARMED;
/* The network. */
int  fl[CAP];
byte nf;
byte lost;
#if DB
byte dup;
#endif

/* ---- scratch: not part of the state vector --------------------------------------- */
/* SPIN's multi-core mode (pan -DNCORE) refuses hidden variables: spin -DMULTICORE makes
 * them ordinary ones, cleared at the end of every step, so that they add bytes to the
 * state vector but no states. */
#ifdef MULTICORE
#define SCRATCH
#define CLEAN cur = 0; ins = 0; tmp = 0; k = 0; j = 0; sq = 0; ak = 0; sc = 0; si = 0; \
    ex = 0; sig = 0; cl_out = 0; pc_inc = 0; who = 0; rstf = 0; blocked = 0; ack_ok = 0; \
    psu = 0; seqx = 0; vv = 0; saved = 0
#else
#define SCRATCH hidden
#define CLEAN skip
#endif
SCRATCH int  cur, ins, tmp;
SCRATCH byte k, j, sq, ak, sc, si, ex;
SCRATCH byte sig, cl_out, pc_inc;   /* signals: 1 Established, 2 PeerClosed, 4 Closed, 8 NeedIsn */
SCRATCH byte who;                   /* the receiver of a delivery */
SCRATCH byte rstf, blocked, ack_ok, psu, saved;
SCRATCH byte seqx, vv;

/* ---- guards ---------------------------------------------------------------------- */

#define EXP(f)   (AGE(f) >= MSL && !DLV(f))
#define EXP_AT(i) (nf > (i) && EXP(fl[i]) -> 1 : 0)
#if CAP == 2
#define EXPIRING (EXP_AT(0) + EXP_AT(1))
#elif CAP == 3
#define EXPIRING (EXP_AT(0) + EXP_AT(1) + EXP_AT(2))
#elif CAP == 4
#define EXPIRING (EXP_AT(0) + EXP_AT(1) + EXP_AT(2) + EXP_AT(3))
#else
#error "the twin supports capacity 2 to 4"
#endif
#define DYING    (EXPIRING > 0)
#define DUE      (t_rx[0] == 0 || t_tw[0] == 0 || t_app[0] == 0 \
               || t_rx[1] == 0 || t_tw[1] == 0 || t_app[1] == 0)
#define TICK_OK  (!DUE && (EXPIRING == 0 || lost + EXPIRING <= LB))

/* A step that sends n segments fits: a full buffer loses each one beyond it, within
 * the loss budget; beyond the budget the step cannot happen. */
#define ROOM(n)  (nf + (n) <= CAP || nf + (n) - CAP <= LB - lost)

/* The ISN filters. */
#if CLOCK
/* RFC 6528 in the clock's frame: ISN = F + reads (client F = 0, server F = space/2). */
#define CLOCK_ISN(a) ADD((a) * (SPACE / 2), isn_reads[a])
#define ANY(a) (choice[a] && ROOM(1))
#else
/* The oracle: the new ISS's range is disjoint from every live segment's. */
#define INNEW(v, y) INWIN(y, v, SPAN)
#define ENTRY_OK(a, v, f) \
    (SRC(f) == (a) -> !(INNEW(v, SEQ(f)) || (SLEN(CTL(f)) > 1 && INNEW(v, ADD(SEQ(f), 1)))) \
                    : !(HAS(CTL(f), C_ACK) && INNEW(v, SUB(ACKN(f), 1))))
#define OK_AT(a, v, i) (nf <= (i) || ENTRY_OK(a, v, fl[i]))
#if CAP == 2
#define ALLOWED(a, v) (OK_AT(a, v, 0) && OK_AT(a, v, 1))
#elif CAP == 3
#define ALLOWED(a, v) (OK_AT(a, v, 0) && OK_AT(a, v, 1) && OK_AT(a, v, 2))
#else
#define ALLOWED(a, v) (OK_AT(a, v, 0) && OK_AT(a, v, 1) && OK_AT(a, v, 2) && OK_AT(a, v, 3))
#endif
#define ISN0 0
#define ISN1 4
#define ANY(a) (choice[a] && ROOM(1) && (ALLOWED(a, ISN0) || ALLOWED(a, ISN1)))
#endif
/* A pending choice that can be made is made before anything else happens. */
#define URGENT (ANY(0) || ANY(1))

/* Segments the retransmission timer would send (0 when it gives up). */
#define PSU(a) (una[a] == iss[a] && st[a] != CLOSED && st[a] != LISTEN && st[a] != SYNSENT)
#define RX_SEGS(a) \
    (st[a] == SYNSENT -> 1 : \
     ((PSU(a) -> 1 : 0) + (fin_sent[a] && ADD(una[a], (PSU(a) -> 1 : 0)) != nxt[a] -> 1 : 0)))
#define RX_SENDS(a) \
    (st[a] == CLOSED || st[a] == LISTEN || st[a] == TIMEWAIT || st[a] == FINWAIT2 -> 0 : \
     (retries[a] >= MAXR -> 0 : RX_SEGS(a)))
/* The application's next call sends a FIN. */
#define APP_CLOSES(a) \
    ((st[a] == ESTAB || st[a] == CLOSEWAIT) && !app_closed[a] \
     && ((a) == 0 || SERVER_FIRST || st[a] == CLOSEWAIT))

#define DIFF_PREV(i) ((i) == 0 || fl[i] != fl[((i) + CAP - 1) % CAP])

/* ---- the network ------------------------------------------------------------------ */

/* Inserts `ins` into the sorted flight. */
inline fl_insert() {
    k = nf;
    do
    :: k > 0 && fl[(k + CAP - 1) % CAP] > ins -> fl[k] = fl[k - 1]; k--
    :: else -> break
    od;
    fl[k] = ins; nf++
}

inline fl_remove(i) {
    k = i;
    do
    :: k + 1 < nf -> fl[k] = fl[k + 1]; k++
    :: else -> break
    od;
    nf--; fl[nf] = 0
}

inline fl_sort() {
    j = 1;
    do
    :: j < nf ->
        tmp = fl[j]; k = j;
        do
        :: k > 0 && fl[k - 1] > tmp -> fl[k] = fl[k - 1]; k--
        :: else -> break
        od;
        fl[k] = tmp; j++
    :: else -> break
    od
}

/* Out::send: into the sorted flight, or lost to a full buffer (costs loss budget). */
inline send(a, sqv, akv, ctl, incv, note) {
    if
    :: nf >= CAP ->
        if
        :: lost < LB -> lost++
        :: else -> blocked = 1
        fi
    :: else -> ins = SEG(a, sqv, akv, ctl, incv, note); fl_insert()
    fi
}

/* ---- the TCB ---------------------------------------------------------------------- */

inline backoff_arm(a) {
    /* RFC 6298 5.5: RTO doubles, up to RTO_MAX. */
    t_rx[a] = (retries[a] == 0 -> RTO : (retries[a] == 1 -> 2 * RTO : RTO_MAX))
}

inline tcb_clear(a) {
    passive[a] = 0; iss[a] = 0; una[a] = 0; nxt[a] = 0; irs[a] = 0; rnxt[a] = 0;
    fin_sent[a] = 0; retries[a] = 0; psyn[a] = 0; psyn_seq[a] = 0; psyn_inc[a] = 0
}

/* Delete the TCB (enter CLOSED); the ghost incarnation stays. */
inline delete(a, out) {
    tcb_clear(a); st[a] = CLOSED;
    t_rx[a] = UNARMED; t_tw[a] = UNARMED;
    sig = 4; cl_out = out
}

/* OPEN, passive: CLOSED becomes LISTEN. */
inline open_passive(a) {
    tcb_clear(a); st[a] = LISTEN; passive[a] = 1
}

inline send_ack(a) { send(a, nxt[a], rnxt[a], C_ACK, inc[a], 0) }

inline send_fin(a) {
    send(a, nxt[a], rnxt[a], C_FIN | C_ACK, inc[a], 0);
    if
    :: una[a] == nxt[a] -> retries[a] = 0; backoff_arm(a)
    :: else
    fi;
    nxt[a] = ADD(nxt[a], 1); fin_sent[a] = 1
}

inline enter_time_wait(a) {
    st[a] = TIMEWAIT; t_rx[a] = UNARMED; t_tw[a] = TW_TICKS
}

/* SYN-RECEIVED: the segment acknowledges our SYN. */
inline syn_acked(a) {
    una[a] = ak; st[a] = ESTAB; retries[a] = 0;
    if :: si > inc[a] -> inc[a] = si :: else fi;
    t_rx[a] = UNARMED;
    sig = 1
}

#define FIN_ACKED(a) (fin_sent[a] && una[a] == nxt[a])

/* SEGMENT ARRIVES in SYN-SENT (section 3.10.7.3). */
inline arrive_syn_sent(a) {
    do
    :: true ->
        ack_ok = 0;
        if
        :: HAS(sc, C_ACK) ->
            if
            :: LE(ak, iss[a]) || LT(nxt[a], ak) ->
                if
                :: !HAS(sc, C_RST) ->
                    rstf = 1; send(a, ak, 0, C_RST, inc[a], RST_OF_SYN_SENT)
                :: else
                fi;
                break
            :: else
            fi;
            ack_ok = LT(una[a], ak) && LE(ak, nxt[a])
        :: else
        fi;
        if
        :: HAS(sc, C_RST) ->
            if :: ack_ok -> delete(a, O_RESET) :: else fi;
            break
        :: else
        fi;
        if
        :: HAS(sc, C_SYN) ->
            irs[a] = sq; rnxt[a] = ADD(sq, 1);
            if :: ack_ok -> una[a] = ak :: else fi;
            if
            :: LT(iss[a], una[a]) ->
                st[a] = ESTAB; retries[a] = 0; t_rx[a] = UNARMED;
                send_ack(a);
                sig = 1
            :: else ->
                /* simultaneous open (Figure 7) */
                st[a] = SYNRCVD;
                send(a, iss[a], rnxt[a], C_SYN | C_ACK, inc[a], 0);
                retries[a] = 0; t_rx[a] = RTO
            fi
        :: else
        fi;
        break
    od
}

/* SEGMENT ARRIVES in SYN-RECEIVED and the synchronized states (section 3.10.7.4). */
inline arrive_sync(a) {
    do
    :: true ->
        /* TIME-WAIT: a retransmitted FIN is ACKed and restarts the 2 MSL timer. */
        if
        :: st[a] == TIMEWAIT && HAS(sc, C_FIN) && !HAS(sc, C_RST) && ADD(sq, 1) == rnxt[a] ->
            send_ack(a); t_tw[a] = TW_TICKS; break
        :: else
        fi;
        if
        :: st[a] == SYNRCVD && ADD(sq, 1) == rnxt[a] && HAS(sc, C_SYN) ->
            if
            :: !HAS(sc, C_ACK) && !HAS(sc, C_RST) ->
                /* a retransmitted SYN draws the SYN,ACK again */
                send(a, iss[a], rnxt[a], C_SYN | C_ACK, inc[a], 0); break
            :: else
            fi;
            if
            :: HAS(sc, C_ACK) && !HAS(sc, C_RST) && !HAS(sc, C_FIN) && ak == nxt[a] ->
                /* Figure 7: the SYN,ACK completes a simultaneous open */
                syn_acked(a); break
            :: else
            fi
        :: else
        fi;
        /* First, the sequence number. */
        if
        :: !((SLEN(sc) == 0 && INWIN(sq, rnxt[a], WND))
             || (SLEN(sc) > 0 && (INWIN(sq, rnxt[a], WND)
                                  || INWIN(ADD(sq, SLEN(sc) - 1), rnxt[a], WND)))) ->
            if :: !HAS(sc, C_RST) -> send_ack(a) :: else fi;
            break
        :: else
        fi;
        /* Second, the RST bit (RFC 5961 section 3: only exactly at RCV.NXT). */
        if
        :: HAS(sc, C_RST) ->
            if
            :: sq != rnxt[a] -> send_ack(a)
            :: else ->
                if
                :: st[a] == SYNRCVD ->
                    if
                    :: passive[a] -> t_rx[a] = UNARMED; t_tw[a] = UNARMED; open_passive(a)
                    :: else -> delete(a, O_RESET)
                    fi
                :: st[a] == TIMEWAIT && RFC1337 -> skip
                :: else -> delete(a, O_RESET)
                fi
            fi;
            break
        :: else
        fi;
        /* Fourth, the SYN bit. */
        if
        :: HAS(sc, C_SYN) ->
            if
            :: st[a] == SYNRCVD && passive[a] ->
                t_rx[a] = UNARMED; t_tw[a] = UNARMED; open_passive(a)
            :: else -> send_ack(a)   /* RFC 5961 section 4: challenge ACK */
            fi;
            break
        :: else
        fi;
        /* Fifth, the ACK field. */
        if :: !HAS(sc, C_ACK) -> break :: else fi;
        if
        :: st[a] == SYNRCVD ->
            if
            :: LT(una[a], ak) && LE(ak, nxt[a]) -> syn_acked(a)
            :: else -> rstf = 1; send(a, ak, 0, C_RST, inc[a], 0); break
            fi
        :: st[a] == TIMEWAIT -> skip
        :: else ->
            /* RFC 5961 section 5: an ACK outside [SND.UNA - MAX.SND.WND, SND.NXT] */
            tmp = SUB(una[a], WND);
            if
            :: !(SUB(ak, tmp) < SUB(nxt[a], tmp) + 1) -> send_ack(a); break
            :: else
            fi;
            if
            :: LT(una[a], ak) && LE(ak, nxt[a]) ->
                if :: PSU(a) && si > inc[a] -> inc[a] = si :: else fi;
                una[a] = ak; retries[a] = 0;
                if
                :: una[a] == nxt[a] -> t_rx[a] = UNARMED
                :: else -> t_rx[a] = RTO
                fi
            :: LT(nxt[a], ak) -> send_ack(a); break
            :: else
            fi;
            if
            :: st[a] == FINWAIT1 && FIN_ACKED(a) -> st[a] = FINWAIT2
            :: st[a] == CLOSING ->
                if :: FIN_ACKED(a) -> enter_time_wait(a) :: else fi; break
            :: st[a] == LASTACK ->
                if :: FIN_ACKED(a) -> delete(a, O_NORMAL) :: else fi; break
            :: else
            fi
        fi;
        /* Seventh, the text: these scenarios send none. Eighth, the FIN bit. */
        if
        :: HAS(sc, C_FIN) ->
            if
            :: sq != rnxt[a] && st[a] != TIMEWAIT -> send_ack(a); break
            :: else
            fi;
            if
            :: st[a] != TIMEWAIT ->
                rnxt[a] = ADD(rnxt[a], 1);
                sig = sig | 2; pc_inc = si     /* PeerClosed, after an Established */
            :: else
            fi;
            send_ack(a);
            if
            :: st[a] == SYNRCVD || st[a] == ESTAB -> st[a] = CLOSEWAIT
            :: st[a] == FINWAIT1 ->
                if
                :: FIN_ACKED(a) -> enter_time_wait(a)
                :: else -> st[a] = CLOSING
                fi
            :: st[a] == FINWAIT2 -> enter_time_wait(a)
            :: st[a] == TIMEWAIT -> t_tw[a] = TW_TICKS
            :: else
            fi
        :: else
        fi;
        break
    od
}

/* The host's application and ghost bookkeeping react to the step's signals. */
inline settle(a) {
    if :: rstf -> rst_seen[a] = 1 :: else fi;
    if
    :: sig & 1 ->   /* Established */
        tmp = (a) * SPACE + irs[a];
        if :: est[tmp] < SAT -> est[tmp]++ :: else fi;
        if :: (a) == 0 || SERVER_FIRST -> t_app[a] = PACE :: else fi
    :: else
    fi;
    if
    :: sig & 2 ->   /* PeerClosed */
        accepted[a] = ADD(accepted[a], 1);
        if :: pc_inc < inc[a] -> old_acc[a] = 1 :: else fi;
        if :: !app_closed[a] -> t_app[a] = PACE :: else fi
    :: else
    fi;
    if
    :: sig & 4 ->   /* Closed */
        outcome[a] = cl_out;
        tmp = 1 << (inc[a] % 8);
        if :: app_closed[a] -> ended_closed[a] = ended_closed[a] | tmp :: else fi;
        if :: rst_seen[a] -> ended_rst[a] = ended_rst[a] | tmp :: else fi;
        if :: cl_out != O_NORMAL -> ended_abort[a] = ended_abort[a] | tmp :: else fi;
        t_app[a] = UNARMED;
        if :: (a) == 1 -> open_passive(a) :: else fi   /* the server listens again */
    :: else
    fi;
    if :: sig & 8 -> choice[a] = 1 :: else fi   /* NeedIsn */
}

/* A segment reaches host a (Endpoint::on_msg). */
inline on_msg(a, f) {
    sq = SEQ(f); ak = ACKN(f); sc = CTL(f); si = INC(f);
    rstf = 0; sig = 0;
    if
    :: psyn[a] -> skip   /* LISTEN is choosing an ISS: the segment is consumed */
    :: else ->
        if
        :: st[a] == CLOSED ->
            /* no TCB: every segment but a RST draws a RST (section 3.10.7.1) */
            if
            :: HAS(sc, C_RST) -> skip
            :: HAS(sc, C_ACK) -> rstf = 1; send(a, ak, 0, C_RST, inc[a], 0)
            :: else -> rstf = 1; send(a, 0, ADD(sq, SLEN(sc)), C_RST | C_ACK, inc[a], 0)
            fi
        :: else ->
            if :: HAS(sc, C_RST) -> rstf = 1 :: else fi;
            if
            :: st[a] == LISTEN ->
                if
                :: HAS(sc, C_RST) -> skip
                :: HAS(sc, C_ACK) -> rstf = 1; send(a, ak, 0, C_RST, inc[a], 0)
                :: HAS(sc, C_SYN) ->
                    psyn[a] = 1; psyn_seq[a] = sq; psyn_inc[a] = si; sig = 8;
                    /* ghost: a new connection */
                    app_closed[a] = 0; rst_seen[a] = 0; accepted[a] = 0; outcome[a] = O_NONE
                :: else
                fi
            :: st[a] == SYNSENT -> arrive_syn_sent(a)
            :: else -> arrive_sync(a)
            fi
        fi;
        settle(a)
    fi
}

/* The ISS is chosen (Endpoint::on_random, Tcb::isn_chosen). */
inline on_random(a, v) {
    rstf = 0; sig = 0;
    if
    :: !psyn[a] ->
        tmp = (a) * SPACE + (v);
        if :: opens[tmp] < SAT -> opens[tmp]++ :: else fi
    :: else
    fi;
#if CLOCK
    isn_reads[a] = ADD(isn_reads[a], 1);
#endif
    iss[a] = v; una[a] = v; nxt[a] = ADD(v, 1); retries[a] = 0;
    if
    :: !psyn[a] ->
        st[a] = SYNSENT;
        send(a, iss[a], 0, C_SYN, inc[a], 0);
        backoff_arm(a)
    :: else ->
        irs[a] = psyn_seq[a]; rnxt[a] = ADD(psyn_seq[a], 1); inc[a] = psyn_inc[a];
        psyn[a] = 0; psyn_seq[a] = 0; psyn_inc[a] = 0;
        send(a, iss[a], rnxt[a], C_SYN | C_ACK, inc[a], 0);
        st[a] = SYNRCVD;
        backoff_arm(a)
    fi
}

/* The retransmission timer fires (section 3.10.8). */
inline on_retransmit(a) {
    rstf = 0; sig = 0;
    if
    :: st[a] == CLOSED || st[a] == LISTEN || st[a] == TIMEWAIT || st[a] == FINWAIT2 -> skip
    :: else ->
        if
        :: RX_SEGS(a) == 0 -> skip
        :: retries[a] >= MAXR -> delete(a, O_TIMEDOUT)   /* R2: give up, no RST */
        :: else ->
            psu = PSU(a);
            retries[a]++;
            if
            :: st[a] == SYNSENT -> send(a, iss[a], 0, C_SYN, inc[a], REXMIT)
            :: else ->
                if
                :: psu -> send(a, iss[a], rnxt[a], C_SYN | C_ACK, inc[a], REXMIT)
                :: else
                fi;
                seqx = ADD(una[a], (psu -> 1 : 0));
                if
                :: fin_sent[a] && seqx != nxt[a] ->
                    send(a, seqx, rnxt[a], C_FIN | C_ACK, inc[a], REXMIT)
                :: else
                fi
            fi;
            backoff_arm(a)
        fi
    fi;
    settle(a)
}

/* The TIME-WAIT timer fires. */
inline on_time_wait(a) {
    rstf = 0; sig = 0;
    if :: st[a] == TIMEWAIT -> delete(a, O_NORMAL) :: else fi;
    settle(a)
}

/* The application's next call: CLOSE (these scenarios send no data). */
inline on_app(a) {
    rstf = 0; sig = 0;
    if
    :: APP_CLOSES(a) ->
        app_closed[a] = 1;
        send_fin(a);
        if :: st[a] == CLOSEWAIT -> st[a] = LASTACK :: else -> st[a] = FINWAIT1 fi
    :: else
    fi;
    settle(a)
}

/* ---- time --------------------------------------------------------------------------- */

inline tick() {
    k = 0;
    do
    :: k < 2 ->
        if :: t_rx[k] != UNARMED -> t_rx[k]-- :: else fi;
        if :: t_tw[k] != UNARMED -> t_tw[k]-- :: else fi;
        if :: t_app[k] != UNARMED -> t_app[k]-- :: else fi;
        k++
    :: else -> break
    od;
    /* Every segment ages; one older than MSL is gone (lost, if never delivered). */
    ex = 0; j = 0; k = 0;
    do
    :: j < nf ->
        cur = fl[j] + (1 << 21);
        if
        :: AGE(cur) > MSL -> if :: !DLV(cur) -> ex++ :: else fi
        :: else -> fl[k] = cur; k++
        fi;
        j++
    :: else -> break
    od;
    j = k;
    do :: j < nf -> fl[j] = 0; j++ :: else -> break od;
    nf = k;
    lost = lost + ex;
#if CLOCK
    /* The clock advances one number: in its frame, everything else moves back. */
    k = 0;
    do
    :: k < 2 ->
        if
        :: st[k] != CLOSED && st[k] != LISTEN ->
            iss[k] = SUB(iss[k], 1); una[k] = SUB(una[k], 1); nxt[k] = SUB(nxt[k], 1);
            irs[k] = SUB(irs[k], 1); rnxt[k] = SUB(rnxt[k], 1)
        :: else
        fi;
        if :: psyn[k] -> psyn_seq[k] = SUB(psyn_seq[k], 1) :: else fi;
        tmp = opens[k * SPACE]; ex = est[k * SPACE]; j = 0;
        do
        :: j + 1 < SPACE ->
            opens[k * SPACE + j] = opens[k * SPACE + j + 1];
            est[k * SPACE + j] = est[k * SPACE + j + 1];
            j++
        :: else -> break
        od;
        opens[k * SPACE + SPACE - 1] = tmp; est[k * SPACE + SPACE - 1] = ex;
        k++
    :: else -> break
    od;
    j = 0;
    do
    :: j < nf ->
        cur = fl[j];
        sq = SUB(SEQ(cur), 1);
        ak = (HAS(CTL(cur), C_ACK) -> SUB(ACKN(cur), 1) : ACKN(cur));
        fl[j] = (cur & ~((31 << 15) | (31 << 10))) | (sq << 15) | (ak << 10);
        j++
    :: else -> break
    od;
#endif
    fl_sort()
}

/* ---- one d_step per synack action ------------------------------------------------- */

/* Deliver the segment at index i (no copy stays behind: never blocked, because
 * removing it frees a slot for the one reply a delivery can send). */
#define DELIVER(i) \
    :: d_step { !URGENT && (i) < nf && DIFF_PREV(i) -> \
        cur = fl[i]; fl_remove(i); blocked = 0; who = 1 - SRC(cur); on_msg(who, cur); assert(!blocked); CLEAN }

/* Drop the segment at index i. */
#define DROP(i) \
    :: d_step { !URGENT && (i) < nf && DIFF_PREV(i) && !DLV(fl[i]) && lost < LB -> \
        fl_remove(i); lost++; CLEAN }

#ifdef SHOW_BLOCKED
#define COUNT_BLOCKED assert(!blocked)   /* pan -c0 counts them as errors */
#else
#define COUNT_BLOCKED skip
#endif
#if DB
/* Deliver the segment at index i and keep a copy (marked delivered). When the buffer
 * is full and the loss budget spent, a reply cannot be sent and synack offers no
 * successor: here the step is undone, a self-loop (bench/spin/README.md). */
#define DELIVER_COPY(i) \
    :: d_step { !URGENT && dup < DB && (i) < nf && DIFF_PREV(i) -> \
        cur = fl[i]; blocked = 0; saved = 0; \
        if \
        :: nf >= CAP && lost >= LB -> save(); saved = 1 \
        :: else \
        fi; \
        fl_remove(i); ins = cur | DLV_BIT; fl_insert(); dup++; who = 1 - SRC(cur); on_msg(who, cur); \
        if :: blocked -> COUNT_BLOCKED; restore() :: else fi; \
        if :: saved -> CLEAN_SAVE :: else fi; CLEAN }
#else
#define DELIVER_COPY(i)
#endif

#define FIRE(a) \
    :: d_step { !URGENT && t_rx[a] == 0 && !DYING && ROOM(RX_SENDS(a)) -> \
        t_rx[a] = UNARMED; blocked = 0; on_retransmit(a); assert(!blocked); CLEAN } \
    :: d_step { !URGENT && t_tw[a] == 0 && !DYING -> \
        t_tw[a] = UNARMED; on_time_wait(a); CLEAN } \
    :: d_step { !URGENT && t_app[a] == 0 && (PACE == 0 || !DYING) \
                && ROOM((APP_CLOSES(a) -> 1 : 0)) -> \
        t_app[a] = UNARMED; blocked = 0; on_app(a); assert(!blocked); CLEAN }

#if CLOCK
#define CHOOSE(a) \
    :: d_step { ANY(a) && ((a) == 0 || !ANY(0)) -> \
        choice[a] = 0; blocked = 0; vv = CLOCK_ISN(a); on_random(a, vv); assert(!blocked); CLEAN }
#else
#define CHOOSE1(a, v) \
    :: d_step { ANY(a) && ((a) == 0 || !ANY(0)) && ALLOWED(a, v) -> \
        choice[a] = 0; blocked = 0; on_random(a, v); assert(!blocked); CLEAN }
#define CHOOSE(a) CHOOSE1(a, ISN0) CHOOSE1(a, ISN1)
#endif

#if DB
SCRATCH byte s_st[2], s_passive[2], s_iss[2], s_una[2], s_nxt[2], s_irs[2], s_rnxt[2];
SCRATCH byte s_fin_sent[2], s_retries[2], s_psyn[2], s_psyn_seq[2], s_psyn_inc[2], s_inc[2];
SCRATCH byte s_app_closed[2], s_outcome[2], s_rst_seen[2], s_accepted[2], s_old_acc[2];
SCRATCH byte s_opens[2 * SPACE], s_est[2 * SPACE];
SCRATCH byte s_ended_closed[2], s_ended_rst[2], s_ended_abort[2], s_choice[2];
SCRATCH byte s_t_rx[2], s_t_tw[2], s_t_app[2];
SCRATCH int  s_fl[CAP];
SCRATCH byte s_nf, s_lost, s_dup;

#ifdef MULTICORE
#define CLEAN_SAVE save_clear()
#else
#define CLEAN_SAVE skip
#endif
#define SV(x) s_##x[j] = x[j]
#define CL(x) s_##x[j] = 0
#define RS(x) x[j] = s_##x[j]
inline save() {
    j = 0;
    do
    :: j < 2 ->
        SV(st); SV(passive); SV(iss); SV(una); SV(nxt); SV(irs); SV(rnxt); SV(fin_sent);
        SV(retries); SV(psyn); SV(psyn_seq); SV(psyn_inc); SV(inc); SV(app_closed);
        SV(outcome); SV(rst_seen); SV(accepted); SV(old_acc); SV(ended_closed);
        SV(ended_rst); SV(ended_abort); SV(choice); SV(t_rx); SV(t_tw); SV(t_app); j++
    :: else -> break
    od;
    j = 0; do :: j < 2 * SPACE -> SV(opens); SV(est); j++ :: else -> break od;
    j = 0; do :: j < CAP -> SV(fl); j++ :: else -> break od;
    s_nf = nf; s_lost = lost; s_dup = dup
}
inline save_clear() {
    j = 0;
    do
    :: j < 2 ->
        CL(st); CL(passive); CL(iss); CL(una); CL(nxt); CL(irs); CL(rnxt); CL(fin_sent);
        CL(retries); CL(psyn); CL(psyn_seq); CL(psyn_inc); CL(inc); CL(app_closed);
        CL(outcome); CL(rst_seen); CL(accepted); CL(old_acc); CL(ended_closed);
        CL(ended_rst); CL(ended_abort); CL(choice); CL(t_rx); CL(t_tw); CL(t_app); j++
    :: else -> break
    od;
    j = 0; do :: j < 2 * SPACE -> CL(opens); CL(est); j++ :: else -> break od;
    j = 0; do :: j < CAP -> CL(fl); j++ :: else -> break od;
    s_nf = 0; s_lost = 0; s_dup = 0
}
inline restore() {
    j = 0;
    do
    :: j < 2 ->
        RS(st); RS(passive); RS(iss); RS(una); RS(nxt); RS(irs); RS(rnxt); RS(fin_sent);
        RS(retries); RS(psyn); RS(psyn_seq); RS(psyn_inc); RS(inc); RS(app_closed);
        RS(outcome); RS(rst_seen); RS(accepted); RS(old_acc); RS(ended_closed);
        RS(ended_rst); RS(ended_abort); RS(choice); RS(t_rx); RS(t_tw); RS(t_app); j++
    :: else -> break
    od;
    j = 0; do :: j < 2 * SPACE -> RS(opens); RS(est); j++ :: else -> break od;
    j = 0; do :: j < CAP -> RS(fl); j++ :: else -> break od;
    nf = s_nf; lost = s_lost; dup = s_dup
}
#endif

active proctype wire()
{
end:
    do
    CHOOSE(0)
    CHOOSE(1)
    :: d_step { !URGENT && TICK_OK -> tick(); CLEAN }
    DELIVER(0) DELIVER_COPY(0) DROP(0)
    DELIVER(1) DELIVER_COPY(1) DROP(1)
#if CAP > 2
    DELIVER(2) DELIVER_COPY(2) DROP(2)
#endif
#if CAP > 3
    DELIVER(3) DELIVER_COPY(3) DROP(3)
#endif
    FIRE(0)
    FIRE(1)
    od
}

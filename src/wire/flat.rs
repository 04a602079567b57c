//! The checker's packed form of a wire state, written by hand.
//!
//! The checker keeps its BFS frontier packed (`crate::check::engine::pack`) and
//! decodes each state again when it expands it. Through serde, every field of every
//! TCB and segment was a call into the format's visitor with its own checks; packing
//! and unpacking were a fifth of a TCP run's instructions (bench/README.md, "An
//! eleventh round"). A [`Flat`] type writes itself as a few bytes in one go: the TCP
//! host, its TCB, a segment and a timer are written by hand (`crate::tcp`), and so
//! are the page load's nodes, packets and timers (`crate::http::node`); the HTTP/2
//! nodes and the page load's choices go through postcard ([`flat_by_postcard!`](crate::flat_by_postcard)).
//!
//! An encoding needs only to come back equal: it is never read by another program,
//! nor by another run. When it is also canonical (equal values, equal bytes:
//! [`Flat::CANONICAL`]), the checker fingerprints the state over it
//! ([`Pack::IDENTITY`]); a TCP state's is.

use crate::check::engine::pack::Appending;
use crate::wire::{Bytes, Chunks};

/// A value the checker packs with a writer of its own (see the module's
/// documentation). [`Flat::take`] reads back what [`Flat::put`] wrote, and gives
/// `None` on bytes it did not write.
pub trait Flat: Sized {
    /// Whether the encoding is the value's identity: two values are equal exactly
    /// when their encodings are. The checker then fingerprints a wire state over its
    /// encoding ([`Pack::IDENTITY`]).
    const CANONICAL: bool = false;
    /// `Some(n)`: the encoding takes at most `n` bytes, and [`Flat::put_raw`] writes
    /// it. A wire state whose parts are all bounded is written with one check of
    /// the room left, where a write per field checked it (`Vec::push`).
    const MAX: Option<usize> = None;
    /// Appends the encoding of `self`.
    fn put(&self, out: &mut Vec<u8>);
    /// Writes the encoding at `p` and returns the end of what it wrote.
    ///
    /// # Safety
    ///
    /// `Self::MAX` is `Some(n)`, and `p` is valid for `n` bytes of writes.
    unsafe fn put_raw(&self, p: *mut u8) -> *mut u8 {
        let _ = p;
        unreachable!("put_raw of a type without a bound")
    }
    /// Reads a value from the front of `inp` and moves `inp` past it.
    fn take(inp: &mut &[u8]) -> Option<Self>;
    /// [`Flat::take`], written over `place` (whose buffers a type may keep).
    fn take_into(inp: &mut &[u8], place: &mut Self) -> Option<()> {
        *place = Self::take(inp)?;
        Some(())
    }
}

/// Reads `N` bytes from the front of `inp`.
#[inline]
pub fn take_bytes<const N: usize>(inp: &mut &[u8]) -> Option<[u8; N]> {
    let (head, rest) = inp.split_first_chunk::<N>()?;
    *inp = rest;
    Some(*head)
}

/// Writes the bytes of `b` at `p` and returns the end: a few stores.
///
/// # Safety
///
/// `p` is valid for `N` bytes of writes.
#[inline(always)]
pub unsafe fn raw_array<const N: usize>(b: [u8; N], p: *mut u8) -> *mut u8 {
    // SAFETY: the caller's promise; an array of bytes has no alignment.
    unsafe {
        p.cast::<[u8; N]>().write_unaligned(b);
        p.add(N)
    }
}

/// Writes `v` at `p` as [`put_varint`] does, and returns the end.
///
/// # Safety
///
/// `p` is valid for 10 bytes of writes (a `u32` takes at most 5).
#[inline(always)]
pub unsafe fn raw_varint(mut v: u64, mut p: *mut u8) -> *mut u8 {
    // SAFETY: the caller's promise: 7 bits a byte, at most 10 bytes for 64 bits.
    unsafe {
        while v >= 0x80 {
            p.write(v as u8 | 0x80);
            p = p.add(1);
            v >>= 7;
        }
        p.write(v as u8);
        p.add(1)
    }
}

/// [`Flat::put`] of a bounded type: room for [`Flat::MAX`] bytes, then
/// [`Flat::put_raw`].
#[inline(always)]
pub fn put_bounded<T: Flat>(v: &T, out: &mut Vec<u8>) {
    let Some(max) = T::MAX else {
        unreachable!("put_bounded of a type without a bound")
    };
    out.reserve(max);
    let len = out.len();
    // SAFETY: `reserve(max)` left room for `max` bytes after `len`, and `put_raw`
    // writes at most `T::MAX` = `max` bytes; those it wrote are initialised, and
    // `set_len` covers exactly them.
    unsafe {
        let start = out.as_mut_ptr().add(len);
        let end = v.put_raw(start);
        let n = end.offset_from(start) as usize;
        debug_assert!(n <= max);
        out.set_len(len + n);
    }
}

/// Appends `v` as a varint: seven bits a byte, low bits first, the top bit set on
/// every byte but the last.
#[inline]
pub fn put_varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads what [`put_varint`] wrote.
#[inline]
pub fn take_varint(inp: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let [b] = take_bytes::<1>(inp)?;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

/// A length, as a varint.
#[inline]
pub fn take_len(inp: &mut &[u8]) -> Option<usize> {
    usize::try_from(take_varint(inp)?).ok()
}

impl Flat for u8 {
    const CANONICAL: bool = true;
    const MAX: Option<usize> = Some(1);
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
    #[inline(always)]
    unsafe fn put_raw(&self, p: *mut u8) -> *mut u8 {
        // SAFETY: room for MAX = 1 byte.
        unsafe { raw_array([*self], p) }
    }
    #[inline]
    fn take(inp: &mut &[u8]) -> Option<u8> {
        take_bytes::<1>(inp).map(|[b]| b)
    }
}

/// [`Flat`] for an interned value (a payload, a list of payloads): its index in its
/// table, a varint of at most 5 bytes.
macro_rules! flat_by_index {
    ($($t:ty),*) => {$(
        impl Flat for $t {
            const CANONICAL: bool = true;
            const MAX: Option<usize> = Some(5);
            #[inline]
            fn put(&self, out: &mut Vec<u8>) {
                put_bounded(self, out);
            }
            #[inline(always)]
            unsafe fn put_raw(&self, p: *mut u8) -> *mut u8 {
                // SAFETY: room for MAX = 5 bytes, a u32's varint.
                unsafe { raw_varint(self.index().into(), p) }
            }
            #[inline]
            fn take(inp: &mut &[u8]) -> Option<$t> {
                <$t>::at(u32::try_from(take_varint(inp)?).ok()?)
            }
        }
    )*};
}

flat_by_index!(Bytes, Chunks);

/// A string: its length, then its bytes.
impl Flat for String {
    const CANONICAL: bool = true;
    fn put(&self, out: &mut Vec<u8>) {
        put_varint(self.len() as u64, out);
        out.extend_from_slice(self.as_bytes());
    }
    fn take(inp: &mut &[u8]) -> Option<String> {
        let n = take_len(inp)?;
        let b = inp.get(..n)?;
        *inp = &inp[n..];
        String::from_utf8(b.to_vec()).ok()
    }
    fn take_into(inp: &mut &[u8], place: &mut String) -> Option<()> {
        let n = take_len(inp)?;
        let b = std::str::from_utf8(inp.get(..n)?).ok()?;
        *inp = &inp[n..];
        place.clear();
        place.push_str(b);
        Some(())
    }
}

/// A vector: its length, then its elements, each decoded over the element that
/// was at its place.
impl<T: Flat> Flat for Vec<T> {
    const CANONICAL: bool = T::CANONICAL;
    fn put(&self, out: &mut Vec<u8>) {
        put_varint(self.len() as u64, out);
        for x in self {
            x.put(out);
        }
    }
    fn take(inp: &mut &[u8]) -> Option<Vec<T>> {
        let n = take_len(inp)?;
        // The length is not trusted for an allocation: each element takes a byte.
        let mut v = Vec::with_capacity(n.min(inp.len()));
        for _ in 0..n {
            v.push(T::take(inp)?);
        }
        Some(v)
    }
    fn take_into(inp: &mut &[u8], place: &mut Vec<T>) -> Option<()> {
        let n = take_len(inp)?;
        place.truncate(n);
        for x in place.iter_mut() {
            T::take_into(inp, x)?;
        }
        for _ in place.len()..n {
            place.push(T::take(inp)?);
        }
        Some(())
    }
}

impl Flat for bool {
    const CANONICAL: bool = true;
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
    #[inline]
    fn take(inp: &mut &[u8]) -> Option<bool> {
        match take_bytes::<1>(inp)? {
            [0] => Some(false),
            [1] => Some(true),
            _ => None,
        }
    }
}

/// Two bytes, the low one first.
impl Flat for u16 {
    const CANONICAL: bool = true;
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    #[inline]
    fn take(inp: &mut &[u8]) -> Option<u16> {
        take_bytes(inp).map(u16::from_le_bytes)
    }
}

/// A tag (0 or 1), then the value when there is one.
impl<T: Flat> Flat for Option<T> {
    const CANONICAL: bool = T::CANONICAL;
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                v.put(out);
            }
        }
    }
    #[inline]
    fn take(inp: &mut &[u8]) -> Option<Option<T>> {
        match take_bytes::<1>(inp)? {
            [0] => Some(None),
            [1] => Some(Some(T::take(inp)?)),
            _ => None,
        }
    }
}

/// Implements [`Flat`] by postcard (serde), for the types of states whose packing
/// is not written by hand.
#[macro_export]
macro_rules! flat_by_postcard {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::wire::flat::Flat for $t {
            fn put(&self, out: &mut Vec<u8>) {
                $crate::wire::flat::postcard_put(self, out)
            }
            fn take(inp: &mut &[u8]) -> Option<Self> {
                $crate::wire::flat::postcard_take(inp)
            }
            fn take_into(inp: &mut &[u8], place: &mut Self) -> Option<()> {
                $crate::wire::flat::postcard_take_into(inp, place)
            }
        }
    )*};
}

/// [`Flat::put`] by postcard.
pub fn postcard_put<T: serde::Serialize>(v: &T, out: &mut Vec<u8>) {
    let at = out.len();
    if let Err(e) = postcard::serialize_with_flavor(v, Appending(out)) {
        panic!("internal error: a state could not be encoded ({e}) after {at} bytes");
    }
}

/// [`Flat::take`] by postcard.
pub fn postcard_take<T: serde::de::DeserializeOwned>(inp: &mut &[u8]) -> Option<T> {
    let (v, rest) = postcard::take_from_bytes(inp).ok()?;
    *inp = rest;
    Some(v)
}

/// [`Flat::take_into`] by postcard (serde's `deserialize_in_place`).
pub fn postcard_take_into<T: serde::de::DeserializeOwned>(
    inp: &mut &[u8],
    place: &mut T,
) -> Option<()> {
    let mut de = postcard::Deserializer::from_bytes(inp);
    T::deserialize_in_place(&mut de, place).ok()?;
    *inp = de.finalize().ok()?;
    Some(())
}

use crate::check::engine::pack::{whole, Pack};
use crate::wire::model::Pending;
use crate::wire::{Armed, InFlight, Timers, WireState};

/// The actor, the timer, then its three small fields.
impl<T: Flat> Flat for Armed<T> {
    const CANONICAL: bool = T::CANONICAL;
    const MAX: Option<usize> = match T::MAX {
        Some(t) => Some(t + 4),
        None => None,
    };
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        match T::MAX {
            Some(_) => put_bounded(self, out),
            None => {
                out.push(self.actor);
                self.timer.put(out);
                out.extend_from_slice(&[self.lo, self.hi, u8::from(self.timed)]);
            }
        }
    }
    #[inline(always)]
    unsafe fn put_raw(&self, p: *mut u8) -> *mut u8 {
        // SAFETY: room for MAX = the timer's MAX and 4 bytes.
        unsafe {
            let p = raw_array([self.actor], p);
            let p = self.timer.put_raw(p);
            raw_array([self.lo, self.hi, u8::from(self.timed)], p)
        }
    }
    #[inline]
    fn take(inp: &mut &[u8]) -> Option<Self> {
        let [actor] = take_bytes(inp)?;
        let timer = T::take(inp)?;
        let [lo, hi, timed] = take_bytes(inp)?;
        Some(Armed {
            actor,
            timer,
            lo,
            hi,
            timed: timed != 0,
        })
    }
}

impl<T: Flat> Flat for Timers<T> {
    const CANONICAL: bool = T::CANONICAL;
    fn put(&self, out: &mut Vec<u8>) {
        put_varint(self.0.len() as u64, out);
        for a in &self.0 {
            a.put(out);
        }
    }
    fn take(inp: &mut &[u8]) -> Option<Self> {
        let mut t = Timers::default();
        Self::take_into(inp, &mut t)?;
        Some(t)
    }
    fn take_into(inp: &mut &[u8], place: &mut Self) -> Option<()> {
        let n = take_len(inp)?;
        place.0.clear();
        for _ in 0..n {
            place.0.push(Armed::take(inp)?);
        }
        Some(())
    }
}

impl<R: Flat> Flat for Pending<R> {
    const CANONICAL: bool = R::CANONICAL;
    fn put(&self, out: &mut Vec<u8>) {
        out.push(self.actor);
        self.key.put(out);
        self.values.put(out);
    }
    fn take(inp: &mut &[u8]) -> Option<Self> {
        let [actor] = take_bytes(inp)?;
        Some(Pending {
            actor,
            key: String::take(inp)?,
            values: Vec::take(inp)?,
        })
    }
    fn take_into(inp: &mut &[u8], place: &mut Self) -> Option<()> {
        [place.actor] = take_bytes(inp)?;
        String::take_into(inp, &mut place.key)?;
        Vec::take_into(inp, &mut place.values)
    }
}

/// The four small fields, then the message.
impl<M: Flat> Flat for InFlight<M> {
    const CANONICAL: bool = M::CANONICAL;
    const MAX: Option<usize> = match M::MAX {
        Some(m) => Some(m + 4),
        None => None,
    };
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        match M::MAX {
            Some(_) => put_bounded(self, out),
            None => {
                out.extend_from_slice(&[self.src, self.dst, self.age, u8::from(self.delivered)]);
                self.msg.put(out);
            }
        }
    }
    #[inline(always)]
    unsafe fn put_raw(&self, p: *mut u8) -> *mut u8 {
        // SAFETY: room for MAX = 4 bytes and the message's MAX.
        unsafe {
            let p = raw_array([self.src, self.dst, self.age, u8::from(self.delivered)], p);
            self.msg.put_raw(p)
        }
    }
    #[inline]
    fn take(inp: &mut &[u8]) -> Option<Self> {
        let [src, dst, age, delivered] = take_bytes(inp)?;
        Some(InFlight {
            src,
            dst,
            age,
            delivered: delivered != 0,
            msg: M::take(inp)?,
        })
    }
    #[inline]
    fn take_into(inp: &mut &[u8], place: &mut Self) -> Option<()> {
        let [src, dst, age, delivered] = take_bytes(inp)?;
        place.src = src;
        place.dst = dst;
        place.age = age;
        place.delivered = delivered != 0;
        M::take_into(inp, &mut place.msg)
    }
}

/// Every part in turn; the clock reading (`epoch`) too, though it is not part of
/// the state's identity: a decoded state reports the same time.
impl<S: Flat, M: Flat, T: Flat, R: Flat> Flat for WireState<S, M, T, R> {
    const CANONICAL: bool = S::CANONICAL && M::CANONICAL && T::CANONICAL && R::CANONICAL;
    fn put(&self, out: &mut Vec<u8>) {
        let WireState {
            actors,
            timers,
            choices,
            flight,
            lost,
            duplicated,
            epoch,
        } = self;
        if let (Some(s), Some(t), Some(m), true) = (
            S::MAX,
            Armed::<T>::MAX,
            InFlight::<M>::MAX,
            choices.is_empty(),
        ) {
            // Four lengths (10 bytes each at most), the parts, the last three bytes.
            let max = [
                actors.len().saturating_mul(s),
                timers.0.len().saturating_mul(t),
                flight.len().saturating_mul(m),
                43,
            ]
            .iter()
            .fold(0usize, |a, &b| a.saturating_add(b));
            out.reserve(max);
            let len = out.len();
            // SAFETY: `reserve(max)` left room for `max` bytes after `len`, and what
            // is written below takes at most `max`: four varints of at most 10 bytes,
            // each part at most its type's MAX, and 3 bytes. Those bytes are then
            // initialised, and `set_len` covers exactly them.
            unsafe {
                let start = out.as_mut_ptr().add(len);
                let mut p = raw_varint(actors.len() as u64, start);
                for a in actors {
                    p = a.put_raw(p);
                }
                p = raw_varint(timers.0.len() as u64, p);
                for a in &timers.0 {
                    p = a.put_raw(p);
                }
                p = raw_varint(0, p);
                p = raw_varint(flight.len() as u64, p);
                for f in flight {
                    p = f.put_raw(p);
                }
                p = raw_array([*lost, *duplicated, *epoch], p);
                let n = p.offset_from(start) as usize;
                debug_assert!(n <= max);
                out.set_len(len + n);
            }
            return;
        }
        actors.put(out);
        timers.put(out);
        choices.put(out);
        flight.put(out);
        out.extend_from_slice(&[*lost, *duplicated, *epoch]);
    }
    fn take(inp: &mut &[u8]) -> Option<Self> {
        let actors = Vec::take(inp)?;
        let timers = Timers::take(inp)?;
        let choices = Vec::take(inp)?;
        let flight = Vec::take(inp)?;
        let [lost, duplicated, epoch] = take_bytes(inp)?;
        Some(WireState {
            actors,
            timers,
            choices,
            flight,
            lost,
            duplicated,
            epoch,
        })
    }
    fn take_into(inp: &mut &[u8], place: &mut Self) -> Option<()> {
        Vec::take_into(inp, &mut place.actors)?;
        Timers::take_into(inp, &mut place.timers)?;
        Vec::take_into(inp, &mut place.choices)?;
        Vec::take_into(inp, &mut place.flight)?;
        [place.lost, place.duplicated, place.epoch] = take_bytes(inp)?;
        Some(())
    }
}

/// The checker's frontier holds a wire state as its [`Flat`] encoding. When every
/// part's encoding is canonical, the encoding but its last byte (the clock reading,
/// which equality ignores) is the state's identity.
impl<S: Flat, M: Flat, T: Flat, R: Flat> Pack for WireState<S, M, T, R> {
    const IDENTITY: Option<usize> = if Self::CANONICAL { Some(1) } else { None };
    fn pack(&self, out: &mut Vec<u8>) {
        self.put(out);
    }
    fn unpack(bytes: &[u8]) -> Self {
        whole(bytes, Self::take)
    }
    fn unpack_into(bytes: &[u8], place: &mut Self) {
        whole(bytes, |inp| Self::take_into(inp, place))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_varint_written_either_way_comes_back() {
        let values = [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX >> 1,
            u64::MAX,
        ];
        for v in values {
            let mut out = Vec::new();
            put_varint(v, &mut out);
            let len = out.len();
            assert_eq!(len, (64 - v.leading_zeros() as usize).div_ceil(7).max(1));
            // The same bytes through a raw pointer, into room for 10.
            let mut raw = [0u8; 10];
            let start = raw.as_mut_ptr();
            // SAFETY: `raw` has room for the 10 bytes a u64's varint takes at most.
            let n = unsafe { raw_varint(v, start).offset_from(start) } as usize;
            assert_eq!(&raw[..n], &out[..], "{v}");
            let mut inp = &out[..];
            assert_eq!(take_varint(&mut inp), Some(v));
            assert!(inp.is_empty());
        }
        // Cut short, and longer than 64 bits.
        assert_eq!(take_varint(&mut &[0x80u8][..]), None);
        assert_eq!(take_varint(&mut &[0xffu8; 11][..]), None);
    }

    #[test]
    fn a_bool_a_u16_and_an_option_come_back_and_other_tags_do_not() {
        fn back<T: Flat + PartialEq + std::fmt::Debug>(v: T) {
            let mut out = Vec::new();
            v.put(&mut out);
            let mut inp = &out[..];
            assert_eq!(T::take(&mut inp), Some(v));
            assert!(inp.is_empty());
        }
        back(false);
        back(true);
        back(0x1234u16);
        back(None::<u16>);
        back(Some(7u16));
        assert_eq!(bool::take(&mut &[2u8][..]), None);
        assert_eq!(<Option<u8> as Flat>::take(&mut &[2u8, 0][..]), None);
    }
}

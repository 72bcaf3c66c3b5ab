// Part of the vendored pingora-core (Apache-2.0), added by Gatehouse.

//! Gatehouse patch (6): an L4 read buffer that holds memory only while it holds data.
//!
//! [`tokio::io::BufReader`] allocates (and zeroes) its buffer when it is created and keeps
//! it for the life of the connection. With the default 64 KiB L4 read buffer, every idle
//! keep-alive connection then pins 64 KiB that it does not use: 10,000 idle browser
//! connections cost 640 MiB. [`LazyBufReader`] reads the same way (one large read, then
//! copies out; a read at least as large as the buffer bypasses it), but it waits until the
//! socket is readable before it allocates, and frees the buffer as soon as everything in it
//! has been consumed. An idle connection holds no read buffer.
//!
//! Tested through Gatehouse's `tests/integration/proxy_idle_memory.rs` (RSS per idle
//! connection) and its proxy, TLS and hardening suites (every client byte is read through it).

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};

/// A reader that can wait until a read would not block, without reading.
pub(crate) trait PollReadReady {
    /// `Ready` once a read may make progress (data, end of stream or an error).
    /// A reader that cannot tell returns `Ready` at once.
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
}

/// A buffered reader whose buffer exists only while it holds unread data.
#[derive(Debug)]
pub(crate) struct LazyBufReader<R> {
    inner: R,
    /// The unread data is `buf[pos..]`; an empty `Vec` (no allocation) when there is none.
    buf: Vec<u8>,
    pos: usize,
    capacity: usize,
}

impl<R> LazyBufReader<R> {
    /// `capacity` is the size of each read from `inner`; it must not be zero.
    pub(crate) fn with_capacity(capacity: usize, inner: R) -> Self {
        debug_assert!(capacity > 0);
        LazyBufReader {
            inner,
            buf: Vec::new(),
            pos: 0,
            capacity,
        }
    }

    pub(crate) fn get_ref(&self) -> &R {
        &self.inner
    }

    pub(crate) fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The inner reader; unread buffered data is lost.
    pub(crate) fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: AsyncRead + PollReadReady + Unpin> AsyncRead for LazyBufReader<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.pos == this.buf.len() {
            // Nothing buffered. A read at least as large as the buffer goes straight to
            // the inner reader, as with tokio's `BufReader`.
            if out.remaining() >= this.capacity {
                return Pin::new(&mut this.inner).poll_read(cx, out);
            }
            // Wait for data before taking memory for it.
            ready!(this.inner.poll_read_ready(cx))?;
            let mut buf = Vec::with_capacity(this.capacity);
            let mut read = ReadBuf::uninit(buf.spare_capacity_mut());
            // On `Pending` (the readiness was stale) the new buffer is dropped again.
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut read))?;
            let n = read.filled().len();
            if n == 0 {
                // End of stream (or an empty read): nothing to keep.
                return Poll::Ready(Ok(()));
            }
            // Safety: the first `n` bytes were filled, hence initialized, by the read
            // through `read`, which borrows `buf`'s spare capacity.
            unsafe { buf.set_len(n) };
            this.buf = buf;
            this.pos = 0;
        }
        let unread = &this.buf[this.pos..];
        let n = unread.len().min(out.remaining());
        out.put_slice(&unread[..n]);
        this.pos += n;
        if this.pos == this.buf.len() {
            // Everything consumed: give the memory back.
            this.buf = Vec::new();
            this.pos = 0;
        }
        Poll::Ready(Ok(()))
    }
}

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
//! Gatehouse patch (8): [`LazyBufWriter`] does the same for the L4 write buffer, in place
//! of [`tokio::io::BufWriter`]: it takes its buffer with the first write it buffers and
//! frees it once everything in it has been written.
//!
//! Tested through Gatehouse's `tests/integration/proxy_idle_memory.rs` (RSS per idle
//! connection) and its proxy, TLS and hardening suites (every client byte is read through it).

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

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

    /// Gatehouse patch (10): the same reader, buffered data kept, over `f(inner)`.
    pub(crate) fn try_map_inner<S>(
        self,
        f: impl FnOnce(R) -> io::Result<S>,
    ) -> io::Result<LazyBufReader<S>> {
        Ok(LazyBufReader {
            inner: f(self.inner)?,
            buf: self.buf,
            pos: self.pos,
            capacity: self.capacity,
        })
    }
}

/// Gatehouse patch (8): `Ready` at once while unread data is buffered, else when the
/// inner reader is.
impl<R: PollReadReady> PollReadReady for LazyBufReader<R> {
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.pos < self.buf.len() {
            return Poll::Ready(Ok(()));
        }
        self.inner.poll_read_ready(cx)
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

/// Gatehouse patch (8): a buffered writer whose buffer exists only while it holds data
/// not yet written. Writes the same way as [`tokio::io::BufWriter`] with the same
/// capacity: small writes are gathered, a write that does not fit first flushes what is
/// gathered, a write at least as large as the capacity goes straight through (a zero
/// capacity writes everything straight through).
#[derive(Debug)]
pub(crate) struct LazyBufWriter<W> {
    inner: W,
    /// Gathered data, `buf[written..]` not yet written; an empty `Vec` (no allocation)
    /// when there is none.
    buf: Vec<u8>,
    written: usize,
    capacity: usize,
}

impl<W> LazyBufWriter<W> {
    pub(crate) fn with_capacity(capacity: usize, inner: W) -> Self {
        LazyBufWriter {
            inner,
            buf: Vec::new(),
            written: 0,
            capacity,
        }
    }

    pub(crate) fn get_ref(&self) -> &W {
        &self.inner
    }

    pub(crate) fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// The inner writer; data not yet written is lost.
    pub(crate) fn into_inner(self) -> W {
        self.inner
    }

    /// Gatehouse patch (10): the same writer, gathered data kept, over `f(inner)`.
    pub(crate) fn try_map_inner<V>(
        self,
        f: impl FnOnce(W) -> io::Result<V>,
    ) -> io::Result<LazyBufWriter<V>> {
        Ok(LazyBufWriter {
            inner: f(self.inner)?,
            buf: self.buf,
            written: self.written,
            capacity: self.capacity,
        })
    }

    fn spare(&self) -> usize {
        self.capacity - self.buf.len()
    }

    fn gather(&mut self, data: &[u8]) {
        if self.buf.capacity() == 0 {
            self.buf.reserve_exact(self.capacity);
        }
        self.buf.extend_from_slice(data);
    }
}

impl<W: AsyncWrite + Unpin> LazyBufWriter<W> {
    /// Writes out everything gathered; the buffer is freed once it is all written.
    fn poll_flush_buf(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut ret = Ok(());
        while self.written < self.buf.len() {
            match Pin::new(&mut self.inner).poll_write(cx, &self.buf[self.written..]) {
                Poll::Pending => {
                    // Keep what is written so far: the next poll resumes after it.
                    return Poll::Pending;
                }
                Poll::Ready(Ok(0)) => {
                    ret = Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "failed to write the buffered data",
                    ));
                    break;
                }
                Poll::Ready(Ok(n)) => self.written += n,
                Poll::Ready(Err(e)) => {
                    ret = Err(e);
                    break;
                }
            }
        }
        if self.written == self.buf.len() {
            self.buf = Vec::new();
        } else {
            self.buf.drain(..self.written);
        }
        self.written = 0;
        Poll::Ready(ret)
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for LazyBufWriter<W> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.buf.len() + data.len() > this.capacity {
            ready!(this.poll_flush_buf(cx))?;
        }
        if data.len() >= this.capacity {
            Pin::new(&mut this.inner).poll_write(cx, data)
        } else {
            this.gather(data);
            Poll::Ready(Ok(data.len()))
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.inner.is_write_vectored() {
            let total = bufs.iter().fold(0usize, |acc, b| acc.saturating_add(b.len()));
            if total > this.spare() {
                ready!(this.poll_flush_buf(cx))?;
            }
            if total >= this.capacity {
                Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
            } else {
                for b in bufs {
                    this.gather(b);
                }
                Poll::Ready(Ok(total))
            }
        } else {
            while bufs.first().map(|b| b.len()) == Some(0) {
                bufs = &bufs[1..];
            }
            let Some(first) = bufs.first() else {
                return Poll::Ready(Ok(0));
            };
            let first_len = first.len();
            if first_len > this.spare() {
                ready!(this.poll_flush_buf(cx))?;
            }
            if first_len >= this.capacity {
                return Pin::new(&mut this.inner).poll_write(cx, first);
            }
            this.gather(first);
            let mut total = first_len;
            for b in &bufs[1..] {
                if b.len() > this.spare() {
                    break;
                }
                this.gather(b);
                total += b.len();
            }
            Poll::Ready(Ok(total))
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_flush_buf(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_flush_buf(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

/// Reads pass through, as with tokio's `BufWriter`.
impl<W: AsyncRead + Unpin> AsyncRead for LazyBufWriter<W> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, out)
    }
}

impl<W: PollReadReady> PollReadReady for LazyBufWriter<W> {
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.poll_read_ready(cx)
    }
}

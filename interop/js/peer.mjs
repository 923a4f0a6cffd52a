// A js-libp2p 3.x peer that MeshCore's interop tests and loopback benchmarks run as a separate process.
//
//   node peer.mjs serve [--listen MULTIADDR]...
//       Starts a node (TCP, Noise, yamux, identify + push, ping, perf, and the test protocols below), prints
//       {"type":"listening","peerId":...,"addrs":[...]} and then executes one JSON command per stdin line, answering
//       each with one JSON line {"id":N,"ok":true|false,...}. Exits when stdin closes.
//   node peer.mjs perf-server [--listen MULTIADDR]
//       Same node without the command loop; runs until killed.
//   node peer.mjs perf-client --server-address MULTIADDR --upload-bytes N --download-bytes N
//       The libp2p perf tool's client: {"type":"intermediary",...} once per second, then {"type":"final",...}.
//   node peer.mjs conn-rate --server-address MULTIADDR --count N
//       Sequential full connection setups (TCP + Noise + yamux) and hang-ups; prints {"type":"conn-rate",...}.
//
// Results go to stdout as JSON lines, logs to stderr. The perf protocol is implemented here because @libp2p/perf is not
// served by the registry (libp2p-specs 2k).
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify, identifyPush } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { multiaddr } from '@multiformats/multiaddr'
import { createHash } from 'node:crypto'
import { createInterface } from 'node:readline'

const PERF = '/perf/1.0.0'
const ECHO = '/meshcore/interop/echo/1.0.0'
const BLOB = '/meshcore/interop/blob/1.0.0'
const CHUNK = 64 * 1024

const log = (...args) => console.error('[js-peer]', ...args)
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')

function parseArgs (argv) {
  const args = { _: [], listen: [] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a.startsWith('--')) {
      const key = a.slice(2).replace(/-([a-z])/g, (_, c) => c.toUpperCase())
      const value = argv[i + 1]
      i++
      if (key === 'listen') args.listen.push(value)
      else args[key] = value
    } else {
      args._.push(a)
    }
  }
  return args
}

// ---- deterministic test content: byte i of stream `seed` is a murmur3-finalised word (little endian) ----
function fmix32 (h) {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
// Fills `buf` with the pattern bytes [offset, offset + buf.length); offset must be a multiple of 4.
function fillPattern (seed, offset, buf) {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const salt = Math.imul(seed, 0x9e3779b1) >>> 0
  let word = offset / 4
  let i = 0
  for (; i + 4 <= buf.length; i += 4, word++) view.setUint32(i, fmix32((word ^ salt) >>> 0), true)
  if (i < buf.length) {
    const tmp = new Uint8Array(4)
    new DataView(tmp.buffer).setUint32(0, fmix32((word ^ salt) >>> 0), true)
    buf.set(tmp.subarray(0, buf.length - i), i)
  }
}

// ---- stream helpers over the v3 message-stream API ----
class Reader {
  constructor (stream) { this.it = stream[Symbol.asyncIterator](); this.pending = null }
  async next () {
    if (this.pending) { const p = this.pending; this.pending = null; return p }
    const r = await this.it.next()
    if (r.done) return null
    return r.value instanceof Uint8Array ? r.value : r.value.subarray()
  }
  async exactly (n) {
    const parts = []; let have = 0
    while (have < n) {
      const c = await this.next()
      if (c == null) throw new Error(`stream ended after ${have} of ${n} bytes`)
      if (have + c.length > n) { parts.push(c.subarray(0, n - have)); this.pending = c.subarray(n - have); have = n } else { parts.push(c); have += c.length }
    }
    const buf = new Uint8Array(n); let o = 0
    for (const p of parts) { buf.set(p, o); o += p.length }
    return buf
  }
}
async function send (stream, data) {
  if (!stream.send(data)) await stream.onDrain()
}
async function sendBytes (stream, total, fill) {
  for (let off = 0; off < total; off += CHUNK) {
    const buf = new Uint8Array(Math.min(CHUNK, total - off))
    if (fill) fill(off, buf)
    await send(stream, buf)
  }
}
const u64 = (n) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(n)); return b }
const readU64 = (b) => Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0))
const hex = (b) => Buffer.from(b).toString('hex')

// ---- protocol handlers ----
// perf (libp2p-specs 2k): u64 BE download size, drain the upload until the client half-closes, then send.
async function handlePerf (stream) {
  const r = new Reader(stream)
  const download = readU64(await r.exactly(8))
  while (await r.next() != null) { /* drain */ }
  await sendBytes(stream, download, null)
  await stream.close()
}
// echo until the remote half-closes, then half-close.
async function handleEcho (stream) {
  for await (const chunk of stream) await send(stream, chunk instanceof Uint8Array ? chunk : chunk.subarray())
  await stream.close()
}
// blob: request = u64 BE download size, u32 BE pause-ms-per-MiB-read, then the upload (pattern seed 1) until
// half-close. Reply = sha256(upload) then `download` bytes of pattern seed 2. The pause makes this side a slow reader.
async function handleBlob (stream) {
  const r = new Reader(stream)
  const header = await r.exactly(12)
  const download = readU64(header)
  const pauseMs = new DataView(header.buffer, header.byteOffset + 8, 4).getUint32(0)
  const h = createHash('sha256'); let got = 0; let nextPause = 1 << 20
  for (let c = await r.next(); c != null; c = await r.next()) {
    h.update(c); got += c.length
    if (pauseMs > 0 && got >= nextPause) { nextPause += 1 << 20; await new Promise(resolve => setTimeout(resolve, pauseMs)) }
  }
  await send(stream, h.digest())
  await sendBytes(stream, download, (off, buf) => fillPattern(2, off, buf))
  await stream.close()
}

function patternDigest (seed, total) {
  const h = createHash('sha256')
  for (let off = 0; off < total; off += CHUNK) {
    const buf = new Uint8Array(Math.min(CHUNK, total - off)); fillPattern(seed, off, buf); h.update(buf)
  }
  return hex(h.digest())
}

async function createNode (listen) {
  const node = await createLibp2p({
    addresses: { listen: listen.length > 0 ? listen : ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: async () => false },
    connectionManager: { maxConnections: 10000, inboundConnectionThreshold: 10000, maxIncomingPendingConnections: 1000 },
    services: { identify: identify(), identifyPush: identifyPush(), ping: ping() }
  })
  const many = { maxInboundStreams: 1024, maxOutboundStreams: 1024 }
  await node.handle(PERF, handlePerf, many)
  await node.handle(ECHO, handleEcho, many)
  await node.handle(BLOB, handleBlob, many)
  return node
}

// ---- clients ----
async function perfClient (node, ma, upload, download, onProgress) {
  const stream = await node.dialProtocol(ma, PERF, { maxOutboundStreams: 1024 })
  const r = new Reader(stream)
  const start = performance.now()
  await send(stream, u64(download))
  let sent = 0
  for (let off = 0; off < upload; off += CHUNK) {
    const n = Math.min(CHUNK, upload - off)
    await send(stream, new Uint8Array(n)); sent += n
    onProgress?.(sent, 0)
  }
  await stream.close()
  let received = 0
  for (let c = await r.next(); c != null; c = await r.next()) { received += c.length; onProgress?.(sent, received) }
  if (received !== download) throw new Error(`perf: expected ${download} bytes, got ${received}`)
  return { seconds: (performance.now() - start) / 1000, uploadBytes: sent, downloadBytes: received }
}

async function blobClient (node, ma, upload, download, pauseMs) {
  const stream = await node.dialProtocol(ma, BLOB, { maxOutboundStreams: 1024 })
  const r = new Reader(stream)
  const start = performance.now()
  const header = new Uint8Array(12); header.set(u64(download)); new DataView(header.buffer).setUint32(8, pauseMs)
  await send(stream, header)
  await sendBytes(stream, upload, (off, buf) => fillPattern(1, off, buf))
  await stream.close()
  const uploadDigest = hex(await r.exactly(32))
  const h = createHash('sha256'); let got = 0; let nextPause = 1 << 20
  for (let c = await r.next(); c != null; c = await r.next()) {
    h.update(c); got += c.length
    if (pauseMs > 0 && got >= nextPause) { nextPause += 1 << 20; await new Promise(resolve => setTimeout(resolve, pauseMs)) }
  }
  return {
    seconds: (performance.now() - start) / 1000,
    uploadDigestOk: uploadDigest === patternDigest(1, upload),
    downloadBytes: got,
    downloadDigestOk: got === download && hex(h.digest()) === patternDigest(2, download)
  }
}

async function echoMany (node, ma, streams, bytes) {
  const conn = await node.dial(ma)
  const one = async (i) => {
    const stream = await conn.newStream(ECHO, { maxOutboundStreams: 4096 })
    const data = new Uint8Array(bytes); fillPattern(100 + i, 0, data)
    const r = new Reader(stream)
    await send(stream, data)
    await stream.close()
    const back = await r.exactly(bytes)
    if (await r.next() != null) throw new Error(`stream ${i}: extra bytes after the echo`)
    return Buffer.compare(Buffer.from(back), Buffer.from(data)) === 0
  }
  const results = await Promise.all(Array.from({ length: streams }, (_, i) => one(i)))
  return { streams, intact: results.filter(x => x).length, connections: node.getConnections(conn.remotePeer).length }
}

async function runCommand (node, cmd) {
  const ma = cmd.addr ? multiaddr(cmd.addr) : null
  switch (cmd.cmd) {
    case 'dial': {
      const conn = await node.dial(ma)
      return { remotePeer: conn.remotePeer.toString(), remoteAddr: conn.remoteAddr.toString() }
    }
    case 'ping': {
      const rtts = []
      for (let i = 0; i < (cmd.count ?? 1); i++) rtts.push(await node.services.ping.ping(ma))
      return { rtts }
    }
    case 'identify': {
      // js runs identify by itself on every new connection (and allows one inbound identify stream at a time), so
      // wait for that run's result instead of starting a second exchange.
      const conn = await node.dial(ma)
      const id = await identified(conn.remotePeer.toString())
      return {
        peerId: id.peerId.toString(),
        publicKey: id.publicKey ? hex(id.publicKey) : null,
        agentVersion: id.agentVersion,
        protocolVersion: id.protocolVersion,
        protocols: id.protocols,
        listenAddrs: id.listenAddrs.map(a => a.toString()),
        observedAddr: id.observedAddr?.toString() ?? null
      }
    }
    case 'peer-info': {
      const peer = node.getConnections().map(c => c.remotePeer).find(p => p.toString() === cmd.peer)
      if (!peer) throw new Error(`not connected to ${cmd.peer}`)
      const p = await node.peerStore.get(peer)
      const agent = p.metadata.get('AgentVersion')
      return {
        protocols: p.protocols,
        addresses: p.addresses.map(a => a.multiaddr.toString()),
        agentVersion: agent ? new TextDecoder().decode(agent) : null,
        publicKey: p.id.publicKey ? hex(p.id.publicKey.raw) : null
      }
    }
    case 'perf': return await perfClient(node, ma, cmd.upload ?? 0, cmd.download ?? 0)
    case 'blob': return await blobClient(node, ma, cmd.upload ?? 0, cmd.download ?? 0, cmd.pauseMs ?? 0)
    case 'echo-many': return await echoMany(node, ma, cmd.streams ?? 200, cmd.bytes ?? 1024)
    case 'connections': return { count: node.getConnections().length, peers: node.getConnections().map(c => c.remotePeer.toString()) }
    case 'hangup': await node.hangUp(ma); return {}
    default: throw new Error(`unknown command ${cmd.cmd}`)
  }
}

const identifyResults = new Map()
const identifyWaiters = new Map()
function identified (peer) {
  if (identifyResults.has(peer)) return Promise.resolve(identifyResults.get(peer))
  return new Promise((resolve, reject) => {
    const list = identifyWaiters.get(peer) ?? []
    list.push(resolve)
    identifyWaiters.set(peer, list)
    setTimeout(() => reject(new Error(`no identify result from ${peer} within 20 s`)), 20_000)
  })
}

async function serve (args, commands) {
  const node = await createNode(args.listen)
  node.addEventListener('peer:identify', (evt) => {
    const peer = evt.detail.peerId.toString()
    identifyResults.set(peer, evt.detail)
    for (const resolve of identifyWaiters.get(peer) ?? []) resolve(evt.detail)
    identifyWaiters.delete(peer)
  })
  out({ type: 'listening', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(a => a.toString()), protocols: node.getProtocols() })
  if (!commands) return new Promise(() => {})
  const rl = createInterface({ input: process.stdin })
  const inflight = []
  for await (const line of rl) {
    if (line.trim() === '') continue
    let cmd
    try { cmd = JSON.parse(line) } catch (err) { out({ ok: false, error: `bad command: ${err.message}` }); continue }
    // Commands run concurrently; each answer carries its id.
    inflight.push(runCommand(node, cmd)
      .then(result => out({ id: cmd.id, ok: true, ...result }))
      .catch(err => { log(`command ${cmd.cmd} failed:`, err); out({ id: cmd.id, ok: false, error: String(err?.message ?? err) }) }))
  }
  await Promise.allSettled(inflight)
  await node.stop()
}

async function main () {
  const args = parseArgs(process.argv.slice(2))
  const role = args._[0] ?? 'serve'
  if (role === 'serve') return serve(args, true)
  if (role === 'perf-server') return serve(args, false)
  if (role === 'perf-client') {
    const node = await createNode(['/ip4/127.0.0.1/tcp/0'])
    const ma = multiaddr(args.serverAddress)
    const upload = Number(args.uploadBytes ?? 0); const download = Number(args.downloadBytes ?? 0)
    const t0 = performance.now(); let last = t0; let lastUp = 0; let lastDown = 0
    const result = await perfClient(node, ma, upload, download, (up, down) => {
      const now = performance.now()
      if (now - last >= 1000) {
        out({ type: 'intermediary', timeSeconds: (now - last) / 1000, uploadBytes: up - lastUp, downloadBytes: down - lastDown })
        last = now; lastUp = up; lastDown = down
      }
    })
    out({ type: 'final', timeSeconds: result.seconds, uploadBytes: result.uploadBytes, downloadBytes: result.downloadBytes })
    await node.stop()
    return
  }
  if (role === 'conn-rate') {
    const node = await createNode(['/ip4/127.0.0.1/tcp/0'])
    const ma = multiaddr(args.serverAddress)
    const count = Number(args.count ?? 100)
    const t0 = performance.now()
    for (let i = 0; i < count; i++) {
      const conn = await node.dial(ma, { force: true })
      await conn.close()
    }
    const seconds = (performance.now() - t0) / 1000
    out({ type: 'conn-rate', connections: count, seconds, perSecond: count / seconds })
    await node.stop()
    return
  }
  throw new Error(`unknown role ${role}`)
}

main().then(() => process.exit(0), err => { log('fatal:', err); process.exit(1) })

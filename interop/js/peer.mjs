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
//   node peer.mjs kad [--listen MULTIADDR]... [--client]
//       The `serve` node plus @libp2p/kad-dht on /ipfs/kad/1.0.0 as libp2p-specs §5c configures it (server mode unless
//       --client, passthroughMapper, a test namespace `v` that accepts anything, `ipns` with the ipns package's
//       validator and selector), with the kad-* commands below added to the command loop.
//   node peer.mjs kad-server [--listen MULTIADDR]... [--bootstrap MULTIADDR]
//       A kad node without the command loop (joins through --bootstrap, then a self lookup); runs until killed.
//   node peer.mjs kad-bench --bootstrap MULTIADDR --count N --value-bytes B [--prefix P]
//       A kad node that joins via MULTIADDR, then runs N sequential put+get pairs of /v/ keys and prints one JSON line
//       of latencies ({"type":"kad-bench","put":[ms...],"get":[ms...]}), for bench/kad/run.sh.
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
import { kadDHT, passthroughMapper, Record as Libp2pRecord } from '@libp2p/kad-dht'
import { generateKeyPair, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { createIPNSRecord, marshalIPNSRecord, multihashToIPNSRoutingKey } from 'ipns'
import { ipnsValidator } from 'ipns/validator'
import { ipnsSelector } from 'ipns/selector'
// The DHT's own protobuf codec (not exported by the package; imported by path) for codec vectors.
import { Message as KadMessage } from './node_modules/@libp2p/kad-dht/dist/src/message/dht.js'

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

async function createNode (listen, kad = null) {
  const services = { identify: identify(), identifyPush: identifyPush(), ping: ping() }
  if (kad != null) {
    services.dht = kadDHT({
      protocol: '/ipfs/kad/1.0.0',
      clientMode: kad.client === true,
      peerInfoMapper: passthroughMapper,
      allowQueryWithZeroPeers: true,
      validators: { v: async () => {}, ipns: ipnsValidator },
      selectors: { v: () => 0, ipns: ipnsSelector }
    })
  }
  const node = await createLibp2p({
    privateKey: kad?.privateKey,
    addresses: { listen: listen.length > 0 ? listen : ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: async () => false },
    connectionManager: { maxConnections: 10000, inboundConnectionThreshold: 10000, maxIncomingPendingConnections: 1000 },
    services
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

// ---- kad-dht commands (keys and values travel as hex) ----
const fromHex = (h) => new Uint8Array(Buffer.from(h, 'hex'))
const cidOf = (multihashHex) => CID.createV1(0x55, Digest.decode(fromHex(multihashHex)))
// (not `id`: answers carry the command id there)
const peerJson = (p) => ({ peer: p.id.toString(), addrs: (p.multiaddrs ?? []).map(a => a.toString()) })
let kadPrivateKey = null

async function waitFor (predicate, ms, what) {
  const deadline = Date.now() + ms
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

async function kadCommand (node, cmd) {
  const dht = node.services.dht
  switch (cmd.cmd) {
    case 'kad-bootstrap': {
      // Dial each peer and wait until the DHT put it in its routing table (js pings new contacts first).
      for (const a of cmd.addrs) {
        const conn = await node.dial(multiaddr(a))
        await waitFor(async () => (await dht.routingTable.find(conn.remotePeer)) != null, cmd.timeoutMs ?? 20_000, `${conn.remotePeer} in the routing table`)
      }
      return { size: dht.routingTable.size }
    }
    case 'kad-routing-table': {
      const peers = []
      for (const contact of dht.routingTable.kb.toIterable()) peers.push(contact.peerId.toString())
      return { size: dht.routingTable.size, peers }
    }
    case 'kad-put': {
      let responses = 0; let errors = 0
      for await (const ev of dht.put(fromHex(cmd.key), fromHex(cmd.value))) {
        if (ev.name === 'PEER_RESPONSE' && ev.messageName === 'PUT_VALUE') responses++
        if (ev.name === 'QUERY_ERROR') errors++
      }
      return { responses, errors }
    }
    case 'kad-get': {
      const values = []
      for await (const ev of dht.get(fromHex(cmd.key))) {
        if (ev.name === 'VALUE') values.push({ from: ev.from.toString(), value: hex(ev.value) })
      }
      return { values }
    }
    case 'kad-provide': {
      await node.contentRouting.provide(cidOf(cmd.key))
      return {}
    }
    case 'kad-find-providers': {
      const providers = []
      const seen = new Set()
      for await (const p of node.contentRouting.findProviders(cidOf(cmd.key), { signal: AbortSignal.timeout(cmd.timeoutMs ?? 30_000) })) {
        if (!seen.has(p.id.toString())) { seen.add(p.id.toString()); providers.push(peerJson(p)) }
        if (providers.length >= (cmd.max ?? 20)) break
      }
      return { providers }
    }
    case 'kad-find-peer': {
      const info = await node.peerRouting.findPeer(peerIdFromString(cmd.peer), { signal: AbortSignal.timeout(cmd.timeoutMs ?? 30_000) })
      return peerJson(info)
    }
    case 'kad-closest': {
      const peers = []
      for await (const p of node.peerRouting.getClosestPeers(fromHex(cmd.key))) peers.push(p.id.toString())
      return { peers }
    }
    case 'kad-encode': {
      // cmd.message uses the js codec's field names; byte fields as hex.
      const m = cmd.message
      const peer = (p) => ({ id: fromHex(p.id), multiaddrs: (p.addrs ?? []).map(a => multiaddr(a).bytes), connection: p.connection })
      const encoded = KadMessage.encode({
        type: m.type,
        clusterLevel: m.clusterLevel,
        key: m.key != null ? fromHex(m.key) : undefined,
        // record: raw hex, or recordFields {key, value (hex), timeReceived (ISO)} serialized by @libp2p/record.
        record: m.record != null ? fromHex(m.record) : m.recordFields != null ? new Libp2pRecord(fromHex(m.recordFields.key), fromHex(m.recordFields.value), new Date(m.recordFields.timeReceived)).serialize() : undefined,
        closer: (m.closer ?? []).map(peer),
        providers: (m.providers ?? []).map(peer)
      })
      return { hex: hex(encoded) }
    }
    case 'ipns-record': {
      // A real IPNS record signed by this node's key: value, sequence, lifetime (ms), optional V1 compatibility.
      const record = await createIPNSRecord(kadPrivateKey, cmd.value, BigInt(cmd.sequence ?? 0), cmd.lifetimeMs ?? 3_600_000, { v1Compatible: cmd.v1Compatible ?? true })
      const key = multihashToIPNSRoutingKey(node.peerId.toMultihash())
      return { key: hex(key), record: hex(marshalIPNSRecord(record)) }
    }
    case 'pk-record': {
      return { key: hex(Buffer.concat([Buffer.from('/pk/'), Buffer.from(node.peerId.toMultihash().bytes)])), value: hex(publicKeyToProtobuf(kadPrivateKey.publicKey)) }
    }
    default: return undefined
  }
}

async function runCommand (node, cmd) {
  const ma = cmd.addr ? multiaddr(cmd.addr) : null
  if (cmd.cmd.startsWith('kad-') || cmd.cmd === 'ipns-record' || cmd.cmd === 'pk-record') {
    if (node.services.dht == null) throw new Error(`${cmd.cmd} needs the kad role`)
    return await kadCommand(node, cmd)
  }
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

async function serve (args, commands, kad = false) {
  let kadInit = null
  if (kad) {
    kadPrivateKey = await generateKeyPair('Ed25519')
    kadInit = { client: args.client === 'true', privateKey: kadPrivateKey }
  }
  const node = await createNode(args.listen, kadInit)
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

async function joinKad (node, bootstrap) {
  const dht = node.services.dht
  const conn = await node.dial(multiaddr(bootstrap))
  await waitFor(async () => (await dht.routingTable.find(conn.remotePeer)) != null, 20_000, 'the bootstrap peer in the routing table')
  // Fill the routing table the way js does on start (a self lookup).
  for await (const _ of dht.getClosestPeers(node.peerId.toMultihash().bytes)) { /* drain */ }
}

async function kadServer (args) {
  kadPrivateKey = await generateKeyPair('Ed25519')
  const node = await createNode(args.listen, { client: false, privateKey: kadPrivateKey })
  if (args.bootstrap) await joinKad(node, args.bootstrap)
  out({ type: 'listening', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(a => a.toString()), protocols: node.getProtocols() })
  return new Promise(() => {})
}

// Sequential put+get of /v/ keys against a swarm reached through one bootstrap peer (bench/kad/run.sh).
async function kadBench (args) {
  kadPrivateKey = await generateKeyPair('Ed25519')
  const node = await createNode(['/ip4/127.0.0.1/tcp/0'], { client: false, privateKey: kadPrivateKey })
  const dht = node.services.dht
  await joinKad(node, args.bootstrap)
  const count = Number(args.count ?? 100)
  const value = new Uint8Array(Number(args.valueBytes ?? 64)).fill(7)
  const put = []; const get = []
  for (let i = 0; i < count; i++) {
    const key = new TextEncoder().encode(`/v/${args.prefix ?? 'js'}-${node.peerId.toString().slice(-8)}-${i}`)
    let t = performance.now()
    for await (const _ of dht.put(key, value)) { /* drain */ }
    put.push(performance.now() - t)
    t = performance.now()
    let found = false
    for await (const ev of dht.get(key)) { if (ev.name === 'VALUE') { found = true; break } }
    get.push(performance.now() - t)
    if (!found) throw new Error(`value ${i} not found`)
  }
  out({ type: 'kad-bench', put, get, routingTable: dht.routingTable.size })
  await node.stop()
}

async function main () {
  const args = parseArgs(process.argv.slice(2))
  const role = args._[0] ?? 'serve'
  if (role === 'serve') return serve(args, true)
  if (role === 'kad') return serve(args, true, true)
  if (role === 'kad-bench') return kadBench(args)
  if (role === 'kad-server') return kadServer(args)
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

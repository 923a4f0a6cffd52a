using System.Runtime.CompilerServices;

// The codecs stackalloc scratch space (base58 limbs, multiaddr and CID text buffers, multistream compares) and
// always write before they read it, so zeroing it first is wasted work on hot paths (as in dotnet/runtime).
[module: SkipLocalsInit]

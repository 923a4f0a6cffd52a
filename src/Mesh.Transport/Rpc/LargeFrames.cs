using System.Buffers;
using System.IO.Pipelines;

namespace Mesh.Transport.Rpc;

/// <summary>How <see cref="LargeFrames.FillAsync"/> ended.</summary>
internal enum FillResult
{
    Complete,
    EndOfInput,
    Canceled,
}

/// <summary>
/// Frames larger than <see cref="InPlaceLimit"/> are copied out of the pipe as they arrive instead of waiting whole in
/// it. A reader that consumes nothing until a frame is complete never lets the transport reopen its receive window
/// (yamux grants credit as the application consumes), so a message bigger than the window (256 KiB initially; our
/// limit is 4 MiB) would never arrive. The frame's length is known, and checked against the limit, from its header
/// before anything is rented. Smaller frames are parsed where they lie, without a copy.
/// </summary>
internal static class LargeFrames
{
    /// <summary>Largest frame left in the pipe until complete.</summary>
    public const int InPlaceLimit = 64 * 1024;

    /// <summary>
    /// Starts a copy: rents a buffer for the whole frame and copies what is buffered (the caller then consumes all of
    /// <paramref name="buffered"/>).
    /// </summary>
    public static byte[] Begin(in ReadOnlySequence<byte> buffered, int frameLength, out int filled)
    {
        byte[] frame = ArrayPool<byte>.Shared.Rent(frameLength);
        filled = (int)Math.Min(buffered.Length, frameLength);
        buffered.Slice(0, filled).CopyTo(frame);
        return frame;
    }

    /// <summary>Reads until <paramref name="frame"/> holds <paramref name="frameLength"/> bytes, consuming only those.</summary>
    public static async ValueTask<FillResult> FillAsync(PipeReader input, byte[] frame, int frameLength, int filled, CancellationToken cancellationToken)
    {
        while (filled < frameLength)
        {
            ReadResult read = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (read.IsCanceled)
            {
                input.AdvanceTo(read.Buffer.Start);
                return FillResult.Canceled;
            }
            int take = (int)Math.Min(read.Buffer.Length, frameLength - filled);
            ReadOnlySequence<byte> chunk = read.Buffer.Slice(0, take);
            chunk.CopyTo(frame.AsSpan(filled));
            filled += take;
            input.AdvanceTo(chunk.End);
            if (filled < frameLength && read.IsCompleted)
            {
                return FillResult.EndOfInput;
            }
        }
        return FillResult.Complete;
    }

    public static void Return(byte[] frame) => ArrayPool<byte>.Shared.Return(frame);
}

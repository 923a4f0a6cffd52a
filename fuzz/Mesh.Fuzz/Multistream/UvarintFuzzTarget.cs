using System.Buffers;
using Mesh.Multistream;

namespace Mesh.Fuzz.Multistream;

/// <summary>
/// Unsigned varints and the length-prefixed framing built on them. Input: byte 0 = number of segment-size bytes
/// that follow (mod 8), then the sizes, then the data. Differential: the span reader, the sequence reader (over the
/// fuzzer's segmentation) and the SequenceReader overload must agree; anything read must re-encode to exactly the
/// bytes consumed (one encoding per value). Then the data is read as a run of length-prefixed messages, span path
/// against sequence path, with a limit also taken from the input.
/// </summary>
public sealed class UvarintFuzzTarget : IFuzzTarget
{
    public string Name => "uvarint";

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }
        int sizeCount = Math.Min(input[0] % 8, input.Length - 1);
        ReadOnlySpan<byte> sizes = input.Slice(1, sizeCount);
        byte[] data = input[(1 + sizeCount)..].ToArray();
        ReadOnlySequence<byte> sequence = FuzzInput.Segmented(data, sizes);

        OperationStatus spanStatus = Uvarint.TryRead(data, out ulong spanValue, out int bytesRead, out VarintError spanError);
        ReadOnlySequence<byte> buffer = sequence;
        OperationStatus seqStatus = Uvarint.TryRead(ref buffer, out ulong seqValue, out VarintError seqError);
        var reader = new SequenceReader<byte>(sequence);
        OperationStatus readerStatus = Uvarint.TryRead(ref reader, out ulong readerValue, out _);
        FuzzInput.Check(spanStatus == seqStatus && seqStatus == readerStatus, "span/sequence/reader status differ");
        FuzzInput.Check(spanError == seqError, "span/sequence error differ");
        if (spanStatus == OperationStatus.Done)
        {
            FuzzInput.Check(spanValue == seqValue && seqValue == readerValue, "values differ");
            FuzzInput.Check(buffer.Length == data.Length - bytesRead && reader.Consumed == bytesRead, "consumed lengths differ");
            FuzzInput.Check(bytesRead <= Uvarint.MaxLength && spanValue <= Uvarint.MaxValue, "out of range");
            Span<byte> again = stackalloc byte[Uvarint.MaxLength];
            Uvarint.TryWrite(again, spanValue, out int written);
            FuzzInput.Check(again[..written].SequenceEqual(data.AsSpan(0, bytesRead)), "not canonical");
        }
        else
        {
            FuzzInput.Check(buffer.Length == data.Length && reader.Consumed == 0, "consumed on failure");
            try
            {
                Uvarint.Read(data, out _);
                FuzzInput.Check(false, "Read accepted what TryRead refused");
            }
            catch (VarintException)
            {
            }
        }

        int maxLength = sizeCount == 0 ? 64 : sizes[0] * 4;
        ReadOnlySpan<byte> span = data;
        buffer = sequence;
        while (true)
        {
            OperationStatus a = LengthPrefixed.TryRead(span, maxLength, out ReadOnlySpan<byte> spanMessage, out int consumed, out FramingError errorA);
            OperationStatus b = LengthPrefixed.TryRead(ref buffer, maxLength, out ReadOnlySequence<byte> seqMessage, out FramingError errorB);
            FuzzInput.Check(a == b && errorA == errorB, "framing span/sequence differ");
            if (a != OperationStatus.Done)
            {
                break;
            }
            FuzzInput.Check(spanMessage.Length <= maxLength && spanMessage.SequenceEqual(seqMessage.ToArray()), "framing messages differ");
            span = span[consumed..];
            FuzzInput.Check(buffer.Length == span.Length, "framing consumed differs");
        }
    }
}

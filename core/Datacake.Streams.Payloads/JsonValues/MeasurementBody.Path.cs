using System.Text;

namespace Datacake.Streams.Payloads.JsonValues;

public static partial class MeasurementBody
{
    /// <summary>Up to 8 path segments (deeper bodies fail before they need more): a name's offsets or an index.</summary>
    private struct PathSegments
    {
        private const int Capacity = 8;
        private SegmentBuffer _segments;
        private int _count;

        public void PushName(int start, int length) => Push(new Segment(start, length, -1));

        public void PushIndex(int index) => Push(new Segment(0, 0, index));

        public void Pop()
        {
            if (_count > 0)
            {
                _count--;
            }
        }

        public readonly string Format(ReadOnlySpan<byte> body)
        {
            var builder = new StringBuilder("$");
            for (var i = 0; i < Math.Min(_count, Capacity); i++)
            {
                var segment = _segments[i];
                if (segment.Index >= 0)
                {
                    builder.Append('[').Append(segment.Index).Append(']');
                }
                else
                {
                    var name = Encoding.UTF8.GetString(body.Slice(segment.Start, Math.Min(segment.Length, 80)));
                    builder.Append('.').Append(name);
                }
            }

            return builder.ToString();
        }

        private void Push(Segment segment)
        {
            if (_count < Capacity)
            {
                _segments[_count] = segment;
            }

            _count++;
        }

        private readonly record struct Segment(int Start, int Length, int Index);

        [System.Runtime.CompilerServices.InlineArray(Capacity)]
        private struct SegmentBuffer
        {
            private Segment _first;
        }
    }
}

using Akka.Streams;
using Akka.Streams.Stage;
using Datacake.Streams.Influx.LineProtocol;
using Datacake.Streams.Payloads.DeadLetters;
using Datacake.Streams.Processing.Fields;

namespace Datacake.Streams.Processing.Pipeline;

/// <summary>
/// The per-partition stage: replay guard and duplicate filter, decoding into points, the point-time window
/// (too_old / too_far_in_future) and the device's limit of field names (too_many_fields). Holds the partition's <see cref="IPartitionState"/> and point buffers in its
/// logic; one instance per substream, so one partition's chunks pass it in log order.
/// </summary>
internal sealed class PartitionStage : GraphStage<FlowShape<RecordChunk, RecordChunk>>
{
    private readonly Inlet<RecordChunk> _in = new("partition.in");
    private readonly Outlet<RecordChunk> _out = new("partition.out");
    private readonly PartitionStates _states;
    private readonly ProcessingOptions _options;
    private readonly TimeProvider _time;
    private readonly DeviceFieldNames? _fieldNames;

    public PartitionStage(PartitionStates states, ProcessingOptions options, TimeProvider time, DeviceFieldNames? fieldNames = null)
    {
        _states = states;
        _options = options;
        _time = time;
        _fieldNames = fieldNames;
        Shape = new FlowShape<RecordChunk, RecordChunk>(_in, _out);
    }

    public override FlowShape<RecordChunk, RecordChunk> Shape { get; }

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    private sealed class Logic : InAndOutGraphStageLogic
    {
        private readonly PartitionStage _stage;
        private readonly RecordPoints _points;
        private IPartitionState? _state;
        private long _epoch = -1;

        public Logic(PartitionStage stage)
            : base(stage.Shape)
        {
            _stage = stage;
            _points = new RecordPoints(stage._fieldNames);
            SetHandler(stage._in, this);
            SetHandler(stage._out, this);
        }

        public override void OnPush()
        {
            var chunk = Grab(_stage._in);

            // The lines live in the chunk, and are reused with it once its batches are committed.
            _points.WriteInto(chunk.ValuesLines, chunk.MetaLines);

            // One clock reading per chunk: its records were read within microseconds of each other.
            var nowNs = (_stage._time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;
            for (var i = 0; i < chunk.Count; i++)
            {
                var record = chunk[i];
                if (record.IsRejected)
                {
                    continue;
                }

                try
                {
                    Process(record, nowNs);
                }
                catch (Exception e) when (RecordFailedException.CanBeTheRecords(e))
                {
                    // Fails the stream as before, naming the record: the supervisor counts the runs it fails.
                    throw new RecordFailedException(record.Position, "partition stage", e);
                }
            }

            Push(_stage._out, chunk);
        }

        public override void OnPull() => Pull(_stage._in);

        private void Process(PipelineRecord record, long nowNs)
        {
            if (record.Epoch != _epoch || _state is null)
            {
                // First record of a new assignment: state as of the group's commit, not what this member had.
                _state = _stage._states.Open(record.Partition, record.Epoch);
                _epoch = record.Epoch;
            }

            var raw = record.Raw;
            var verdict = _state.Admit(raw, record.Position);
            if (!verdict.IsAccepted)
            {
                record.Reject(verdict.Reason, verdict.Detail);
                return;
            }

            _points.Reset(raw.DeviceId);
            try
            {
                verdict = _state.Decode(raw, _points);
            }
            catch (LineProtocolException e)
            {
                verdict = Verdict.Reject(RejectReason.DecodeFailed, e.Message);
            }
            catch (Exception e)
            {
                // A decoder bug must cost one record, not the partition's stream (an OutOfMemoryException here is a
                // failed huge allocation: the process is as it was, and rethrowing would fail this record forever).
                verdict = Verdict.Reject(RejectReason.DecodeFailed, $"decoder failed: {e.GetType().Name}: {e.Message}");
            }

            if (verdict.IsAccepted)
            {
                verdict = CheckTime(nowNs);
            }

            // Last: names are admitted into the device's set only for a record that is otherwise written.
            if (verdict.IsAccepted && !_points.TryAdmitFieldNames(out var refusal))
            {
                verdict = Verdict.Reject(RejectReason.TooManyFields, refusal!);
            }

            if (!verdict.IsAccepted)
            {
                _points.Discard();
                record.Reject(verdict.Reason, verdict.Detail);
                return;
            }

            var (values, meta) = _points.Take();
            record.ValuesLines = values;
            record.ValuesCount = _points.ValuesCount;
            record.MetaLines = meta;
            record.MetaCount = _points.MetaCount;
            record.EarliestNs = _points.EarliestNs;
            record.LatestNs = _points.LatestNs;
            record.DaySpans = _points.DaySpans();
        }

        private Verdict CheckTime(long nowNs)
        {
            if (_points.ValuesCount + _points.MetaCount == 0)
            {
                return Verdict.Accept;
            }

            var oldestNs = nowNs - (_stage._options.MaxAge.Ticks * 100);
            var latestNs = nowNs + (_stage._options.MaxFutureSkew.Ticks * 100);
            if (_points.EarliestNs < oldestNs)
            {
                return Verdict.Reject(RejectReason.TooOld, $"point time {Format(_points.EarliestNs)} is older than {_stage._options.MaxAge.TotalDays:0.#} days");
            }

            if (_points.LatestNs > latestNs)
            {
                return Verdict.Reject(RejectReason.TooFarInFuture, $"point time {Format(_points.LatestNs)} is more than {_stage._options.MaxFutureSkew.TotalMinutes:0.#} min ahead of {Format(nowNs)}");
            }

            return Verdict.Accept;
        }

        private static string Format(long unixNs) => DateTimeOffset.UnixEpoch.AddTicks(unixNs / 100).ToString("O");
    }
}

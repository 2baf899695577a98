using System.Diagnostics;
using Akka.Streams;
using Akka.Streams.Stage;
using Datacake.Streams.RecordLog;

namespace Datacake.Streams.Processing.Pipeline;

/// <summary>
/// Groups records, arriving in <see cref="RecordChunk"/>s, into <see cref="WriteBatch"/>es of at most <see cref="ProcessingOptions.BatchSize"/> points, or what
/// arrived within <see cref="ProcessingOptions.BatchWindow"/>, in two lanes: measurements (P0) go with every batch;
/// metadata (P1) waits while measurements fill whole batches and rides along when the measurement lane is idle (a
/// batch closed by the window), when it fills a batch itself, or after <see cref="ProcessingOptions.MetaMaxDelay"/>.
/// It is never dropped. A partition's commit stops before its first record whose metadata still waits.
/// A chunk may fill several batches: the rest of it waits until downstream takes the full one.
/// While the writer is busy (InfluxDB down) the stage holds one batch: a closed window waits for the writer, the batch
/// fills up to its size, then the stage stops pulling and the stream backpressures to the log.
/// </summary>
internal sealed class BatchStage : GraphStage<FlowShape<RecordChunk, WriteBatch>>
{
    private const string WindowTimer = "window";
    private const string MetaTimer = "meta";

    private readonly Inlet<RecordChunk> _in = new("batch.in");
    private readonly Outlet<WriteBatch> _out = new("batch.out");
    private readonly ProcessingOptions _options;

    public BatchStage(ProcessingOptions options)
    {
        _options = options;
        Shape = new FlowShape<RecordChunk, WriteBatch>(_in, _out);
    }

    public override FlowShape<RecordChunk, WriteBatch> Shape { get; }

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    /// <summary>Where a partition stands in the batches emitted so far.</summary>
    private sealed class Cursor
    {
        public long Epoch;
        public LogPosition? LastSeen;
        public LogPosition? LastCommitted;
        public bool MetaHeld;
        public LogPosition? HeldAt;
    }

    private sealed class Logic : TimerGraphStageLogic, IInHandler, IOutHandler
    {
        private readonly BatchStage _stage;
        private readonly int _batchSize;
        private readonly Dictionary<int, Cursor> _cursors = [];
        private List<PipelineRecord> _values = [];
        private List<PipelineRecord> _meta = [];
        private List<PipelineRecord> _deadLetters = [];

        // The chunks whose records the open batch holds (values, dead letters, duplicates) and those the waiting
        // metadata holds: each holds its chunk until the batch that carries them is committed (RecordChunk).
        private List<RecordChunk> _chunks = [];
        private List<RecordChunk> _metaChunks = [];
        private RecordChunk? _lastHeld;
        private RecordChunk? _lastMetaHeld;
        private int _valuesPoints;
        private int _metaPoints;
        private int _records;
        private int _duplicates;
        private long _metaSince;
        private RecordChunk? _chunk;
        private int _next;
        private bool _finished;
        private bool _flushDue;

        public Logic(BatchStage stage)
            : base(stage.Shape)
        {
            _stage = stage;
            _batchSize = stage._options.BatchSize;
            SetHandler(stage._in, this);
            SetHandler(stage._out, this);
        }

        // Every record counts, duplicates too: a run of duplicates behind a stuck writer must not pile up either.
        private bool IsFull => _valuesPoints >= _batchSize || _metaPoints >= _batchSize || _records >= _batchSize;

        private bool HasContent => _records > 0;

        public override void PreStart() => Pull(_stage._in);

        public void OnPush()
        {
            _chunk = Grab(_stage._in);
            _next = 0;
            Drain();
        }

        public void OnUpstreamFinish()
        {
            // A chunk still being drained finishes the stage when it is done (see Drain).
            if (_chunk is null)
            {
                Finish();
            }
        }

        public void OnUpstreamFailure(Exception e) => FailStage(e);

        public void OnPull() => Drain();

        public void OnDownstreamFinish(Exception cause) => CompleteStage();

        protected override void OnTimer(object timerKey)
        {
            // The window (or the metadata's delay) closed before the batch filled: the measurement lane is idle,
            // metadata goes along. While the writer is busy the batch waits for it and keeps filling up to its size:
            // closing one batch per window regardless would queue batches without bound behind a stuck writer.
            if (!HasContent && _meta.Count == 0)
            {
                return;
            }

            _flushDue = true;
            Drain();
        }

        /// <summary>
        /// Adds the records of the current chunk until a batch fills; a full batch goes out when downstream wants it,
        /// and the rest of the chunk waits for that. Pulls the next chunk once this one is used up.
        /// </summary>
        private void Drain()
        {
            while (true)
            {
                if (_chunk is not null)
                {
                    while (_next < _chunk.Count && !IsFull)
                    {
                        Add(_chunk, _chunk[_next++]);
                    }

                    if (_next == _chunk.Count)
                    {
                        // Every record is in a batch now, which holds the chunk from here on.
                        _chunk.Release();
                        _chunk = null;
                    }
                }

                if (!IsFull)
                {
                    if (_flushDue && (HasContent || _meta.Count > 0) && IsAvailable(_stage._out))
                    {
                        Push(_stage._out, Build(includeMeta: true));
                        continue;
                    }

                    break;
                }

                if (!IsAvailable(_stage._out))
                {
                    // OnPull comes back here.
                    return;
                }

                // Measurements fill the batch: metadata goes only when it is overdue or fills a batch itself.
                var metaDue = _flushDue || _metaPoints >= _batchSize || (_meta.Count > 0 && Stopwatch.GetElapsedTime(_metaSince) >= _stage._options.MetaMaxDelay);
                Push(_stage._out, Build(metaDue));
            }

            if (IsClosed(_stage._in))
            {
                Finish();
                return;
            }

            PullIfIdle();
        }

        private void Finish()
        {
            if (_finished)
            {
                return;
            }

            _finished = true;
            if (HasContent || _meta.Count > 0)
            {
                Emit(_stage._out, Build(includeMeta: true), CompleteStage);
            }
            else
            {
                CompleteStage();
            }
        }

        private void PullIfIdle()
        {
            if (_chunk is null && !HasBeenPulled(_stage._in) && !IsClosed(_stage._in) && !IsFull)
            {
                Pull(_stage._in);
            }
        }

        private void Add(RecordChunk chunk, PipelineRecord record)
        {
            if (!HasContent)
            {
                ScheduleOnce(WindowTimer, _stage._options.BatchWindow);
            }

            if (!ReferenceEquals(_lastHeld, chunk))
            {
                chunk.Hold();
                _chunks.Add(chunk);
                _lastHeld = chunk;
            }

            _records++;
            if (!_cursors.TryGetValue(record.Partition, out var cursor) || cursor.Epoch != record.Epoch)
            {
                cursor = new Cursor { Epoch = record.Epoch };
                _cursors[record.Partition] = cursor;
            }

            if (record.IsDeadLetter)
            {
                _deadLetters.Add(record);
            }
            else if (record.IsDuplicate)
            {
                _duplicates++;
            }
            else if (!record.IsRejected)
            {
                if (record.ValuesCount > 0)
                {
                    _values.Add(record);
                    _valuesPoints += record.ValuesCount;
                }

                if (record.MetaCount > 0)
                {
                    if (!cursor.MetaHeld)
                    {
                        cursor.MetaHeld = true;
                        cursor.HeldAt = cursor.LastSeen;
                    }

                    if (_meta.Count == 0)
                    {
                        _metaSince = Stopwatch.GetTimestamp();
                        ScheduleOnce(MetaTimer, _stage._options.MetaMaxDelay);
                    }

                    _meta.Add(record);
                    _metaPoints += record.MetaCount;
                    if (!ReferenceEquals(_lastMetaHeld, chunk))
                    {
                        chunk.Hold();
                        _metaChunks.Add(chunk);
                        _lastMetaHeld = chunk;
                    }
                }
            }

            cursor.LastSeen = record.Position;
        }

        private WriteBatch Build(bool includeMeta)
        {
            var commits = new List<CommitPoint>(_cursors.Count);
            foreach (var cursor in _cursors.Values)
            {
                var upTo = cursor.MetaHeld && !includeMeta ? cursor.HeldAt : cursor.LastSeen;
                if (includeMeta)
                {
                    cursor.MetaHeld = false;
                    cursor.HeldAt = null;
                }

                if (upTo is { } position && (cursor.LastCommitted is not { } last || position.Offset > last.Offset))
                {
                    commits.Add(new CommitPoint(position, cursor.Epoch));
                    cursor.LastCommitted = position;
                }
            }

            var batch = new WriteBatch
            {
                Values = _values,
                Meta = includeMeta ? _meta : [],
                DeadLetters = _deadLetters,
                Commits = commits,
                Records = _records,
                Duplicates = _duplicates,
                Chunks = _chunks,
            };
            if (includeMeta && _metaChunks.Count > 0)
            {
                _chunks.AddRange(_metaChunks);
                _metaChunks = [];
                _lastMetaHeld = null;
            }

            _chunks = [];
            _lastHeld = null;
            _duplicates = 0;
            _flushDue = false;
            // Sized for a full batch at once: growing 4 → 8,192 by doubling allocated twice as much per batch.
            _values = new List<PipelineRecord>(_batchSize);
            _deadLetters = [];
            _valuesPoints = 0;
            _records = 0;
            CancelTimer(WindowTimer);
            if (includeMeta)
            {
                _meta = [];
                _metaPoints = 0;
                CancelTimer(MetaTimer);
            }

            return batch;
        }
    }
}

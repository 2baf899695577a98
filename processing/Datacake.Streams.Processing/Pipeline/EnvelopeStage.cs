using Akka.Streams;
using Akka.Streams.Stage;

namespace Datacake.Streams.Processing.Pipeline;

/// <summary>
/// Runs <see cref="EnvelopeCheck"/> on every record of a chunk. When some fresh records name a credential this
/// registry view does not know yet, the chunk waits for one catch-up round (<see cref="EnvelopeCheck.CatchUpAsync"/>)
/// without holding a stream thread: the round completes through an async callback, the undecided records are checked
/// again, and only then is the chunk pushed. Nothing is pulled meanwhile, so the partition's order holds. A record the
/// supervisor marked poison (<see cref="PoisonRecords"/>) is rejected here, before any stage touches it; a check that
/// throws on a record fails the stream with a <see cref="RecordFailedException"/> naming it.
/// </summary>
internal sealed class EnvelopeStage : GraphStage<FlowShape<RecordChunk, RecordChunk>>
{
    private readonly Inlet<RecordChunk> _in = new("envelope.in");
    private readonly Outlet<RecordChunk> _out = new("envelope.out");
    private readonly EnvelopeCheck _check;
    private readonly PoisonRecords? _poison;

    public EnvelopeStage(EnvelopeCheck check, PoisonRecords? poison = null)
    {
        _check = check;
        _poison = poison;
        Shape = new FlowShape<RecordChunk, RecordChunk>(_in, _out);
    }

    public override FlowShape<RecordChunk, RecordChunk> Shape { get; }

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    private sealed class Logic : InAndOutGraphStageLogic
    {
        private readonly EnvelopeStage _stage;
        private readonly List<int> _undecided = [];
        private Action<bool>? _caughtUp;
        private RecordChunk? _waiting;
        private bool _finishing;

        public Logic(EnvelopeStage stage)
            : base(stage.Shape)
        {
            _stage = stage;
            SetHandler(stage._in, this);
            SetHandler(stage._out, this);
        }

        public override void PreStart() => _caughtUp = GetAsyncCallback<bool>(_ => Resume());

        public override void OnPush()
        {
            var chunk = Grab(_stage._in);
            var started = _stage._check.ChunkStarted();
            _undecided.Clear();
            for (var i = 0; i < chunk.Count; i++)
            {
                var record = chunk[i];
                if (_stage._poison is { } poison && poison.IsPoison(record.Position, out var detail))
                {
                    record.Reject(Payloads.DeadLetters.RejectReason.Poison, detail);
                    continue;
                }

                bool decided;
                try
                {
                    decided = _stage._check.Check(record, canCatchUp: true);
                }
                catch (Exception e) when (RecordFailedException.CanBeTheRecords(e))
                {
                    throw new RecordFailedException(record.Position, "envelope check", e);
                }

                if (!decided)
                {
                    _undecided.Add(i);
                }
            }

            if (_undecided.Count == 0)
            {
                Push(_stage._out, chunk);
                return;
            }

            _waiting = chunk;
            var callback = _caughtUp!;
            _ = _stage._check.CatchUpAsync(started).ContinueWith(
                static (round, state) => ((Action<bool>)state!)(round.Result),
                callback,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        public override void OnPull()
        {
            if (_waiting is null)
            {
                Pull(_stage._in);
            }
        }

        public override void OnUpstreamFinish()
        {
            if (_waiting is null)
            {
                CompleteStage();
            }
            else
            {
                _finishing = true;
            }
        }

        private void Resume()
        {
            var chunk = _waiting!;
            _waiting = null;
            foreach (var i in _undecided)
            {
                _stage._check.Recheck(chunk[i]);
            }

            _undecided.Clear();

            // Pulled before the round began (a push only answers a pull), so the outlet is free.
            Push(_stage._out, chunk);
            if (_finishing)
            {
                CompleteStage();
            }
        }
    }
}

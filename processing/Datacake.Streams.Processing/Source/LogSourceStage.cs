using System.Threading.Channels;
using Akka.Streams;
using Akka.Streams.Stage;
using Datacake.Streams.Processing.Pipeline;

namespace Datacake.Streams.Processing.Source;

/// <summary>
/// Emits the chunks of records <see cref="LogConsumerPump"/> read, without ever blocking the dispatcher: when none is ready
/// it waits for the channel through an async callback. Completes when the pump stops reading, fails when it fails.
/// </summary>
public sealed class LogSourceStage(ChannelReader<RecordChunk> records) : GraphStage<SourceShape<RecordChunk>>
{
    private readonly Outlet<RecordChunk> _out = new("log.out");

    public override SourceShape<RecordChunk> Shape => new(_out);

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this, records);

    private sealed class Logic : OutGraphStageLogic
    {
        private readonly LogSourceStage _stage;
        private readonly ChannelReader<RecordChunk> _records;
        private Action<bool>? _onReadable;
        private Action<Exception>? _onFailed;
        private bool _waiting;

        public Logic(LogSourceStage stage, ChannelReader<RecordChunk> records)
            : base(stage.Shape)
        {
            _stage = stage;
            _records = records;
            SetHandler(stage._out, this);
        }

        public override void PreStart()
        {
            _onReadable = GetAsyncCallback<bool>(OnReadable);
            _onFailed = GetAsyncCallback<Exception>(FailStage);
        }

        public override void OnPull()
        {
            if (_records.TryRead(out var record))
            {
                Push(_stage._out, record);
                return;
            }

            WaitForRecords();
        }

        private void WaitForRecords()
        {
            if (_waiting)
            {
                return;
            }

            _waiting = true;
            var wait = _records.WaitToReadAsync();
            if (wait.IsCompletedSuccessfully)
            {
                _waiting = false;
                OnReadable(wait.Result);
                return;
            }

            var onReadable = _onReadable!;
            var onFailed = _onFailed!;
            wait.AsTask().ContinueWith(
                t =>
                {
                    if (t.IsFaulted)
                    {
                        onFailed(t.Exception!.GetBaseException());
                    }
                    else
                    {
                        onReadable(!t.IsCanceled && t.Result);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        private void OnReadable(bool more)
        {
            _waiting = false;
            if (!more)
            {
                if (_records.Completion.IsFaulted)
                {
                    FailStage(_records.Completion.Exception!.GetBaseException());
                }
                else
                {
                    CompleteStage();
                }

                return;
            }

            if (IsAvailable(_stage._out))
            {
                OnPull();
            }
        }
    }
}

using System.Buffers;
using System.Collections.Concurrent;

namespace Datacake.Streams.Processing.Decoding;

/// <summary>
/// Runs decoder calls on threads of their own and waits for each at most the per-record budget. Jint checks its
/// limits between statements; a call that spends its time inside one built-in (a JSON.stringify of a gigabyte, a
/// built-in no <see cref="SandboxGuards">guard</see> knows) is not stopped there, and cannot be aborted. Such a call
/// is left behind: its thread finishes it and ends, the partition goes on at once with a timeout.
/// </summary>
/// <remarks>
/// A thread per concurrent caller, created when none is idle (partitions never queue behind each other's decoders);
/// up to <see cref="MaxIdle"/> idle threads are kept, each ends after <see cref="IdleFor"/> unused. The hand-off costs
/// two event signals per call, a few µs against the 20-200 µs of a decoder call.
/// </remarks>
internal sealed class DecoderThreads(DecoderSandbox sandbox)
{
    private readonly DecoderSandbox _sandbox = sandbox;

    private const int MaxIdle = 8;

    // Jint probes the native stack (StackOverflowGuard) and throws a RangeError near its end: 4 MiB lets the
    // recursion limit (128 calls) be the one that decides, with room for deep built-ins.
    private const int StackBytes = 4 * 1024 * 1024;

    private static readonly TimeSpan IdleFor = TimeSpan.FromSeconds(30);

    private readonly ConcurrentStack<Worker> _idle = new();
    private int _runaways;

    /// <summary>Calls left behind past the budget whose thread still runs them.</summary>
    public int Runaways => Volatile.Read(ref _runaways);

    /// <summary>
    /// Runs <paramref name="script"/> on <paramref name="payload"/>; after <paramref name="budget"/> answers a timeout
    /// whatever the call is doing. Never throws for the decoder's fault.
    /// </summary>
    public SandboxOutcome Run(CompiledScript script, ReadOnlySpan<byte> payload, uint port, TimeSpan budget)
    {
        SandboxEngine engine;
        try
        {
            engine = _sandbox.Rent(script);
        }
        catch (Exception e)
        {
            return new SandboxOutcome(null, "decoder: no engine: " + e.Message, LimitHit: false);
        }

        var worker = Rent();
        worker.Start(engine, script, payload, port);
        if (worker.Wait(budget) || !worker.Abandon())
        {
            // Done, or it finished between the wait's end and the abandon.
            worker.Wait(Timeout.InfiniteTimeSpan);
            var outcome = worker.Outcome;
            Return(worker);
            return outcome;
        }

        Interlocked.Increment(ref _runaways);
        return new SandboxOutcome(null, $"decoder: timed out (still running after {budget.TotalMilliseconds:0} ms)", LimitHit: true);
    }

    private Worker Rent()
    {
        while (_idle.TryPop(out var worker))
        {
            if (worker.TryClaim())
            {
                return worker;
            }
        }

        var fresh = new Worker(this);
        fresh.TryClaim();
        return fresh;
    }

    private void Return(Worker worker)
    {
        if (_idle.Count < MaxIdle && worker.Release())
        {
            _idle.Push(worker);
        }
        else
        {
            worker.Retire();
        }
    }

    private sealed class Worker
    {
        private const int Idle = 0;
        private const int Claimed = 1;
        private const int Running = 2;
        private const int Done = 3;
        private const int Abandoned = 4;
        private const int Retired = 5;

        private readonly DecoderThreads _owner;
        private readonly SemaphoreSlim _start = new(0);
        private readonly ManualResetEventSlim _done = new(false);
        private CompiledScript? _script;
        private SandboxEngine? _engine;
        private byte[] _payload = [];
        private int _length;
        private uint _port;
        private int _state = Idle;

        public Worker(DecoderThreads owner)
        {
            _owner = owner;
            var thread = new Thread(Loop, StackBytes) { IsBackground = true, Name = "dcs-decoder" };
            thread.Start();
        }

        public SandboxOutcome Outcome { get; private set; }

        public bool TryClaim() => Interlocked.CompareExchange(ref _state, Claimed, Idle) == Idle;

        public void Start(SandboxEngine engine, CompiledScript script, ReadOnlySpan<byte> payload, uint port)
        {
            _engine = engine;
            _script = script;
            _payload = ArrayPool<byte>.Shared.Rent(payload.Length);
            payload.CopyTo(_payload);
            _length = payload.Length;
            _port = port;
            _done.Reset();
            Volatile.Write(ref _state, Running);
            _start.Release();
        }

        public bool Wait(TimeSpan timeout) => _done.Wait(timeout);

        /// <summary>False when the call finished meanwhile: then its outcome stands.</summary>
        public bool Abandon() => Interlocked.CompareExchange(ref _state, Abandoned, Running) == Running;

        public bool Release() => Interlocked.CompareExchange(ref _state, Idle, Done) == Done;

        public void Retire()
        {
            Volatile.Write(ref _state, Retired);
            _start.Release();
        }

        private void Loop()
        {
            while (true)
            {
                if (!_start.Wait(IdleFor))
                {
                    // Unused for a while: end unless a caller claimed this worker at the same moment.
                    if (Interlocked.CompareExchange(ref _state, Retired, Idle) == Idle)
                    {
                        break;
                    }

                    continue;
                }

                if (Volatile.Read(ref _state) == Retired)
                {
                    break;
                }

                try
                {
                    Outcome = _owner._sandbox.Run(_engine!, _script!, _payload.AsSpan(0, _length), _port);
                }
                catch (Exception e)
                {
                    // The sandbox answers every failure itself; an exception here must not end the process either.
                    Outcome = new SandboxOutcome(null, "decoder: " + e.GetType().Name + ": " + e.Message, LimitHit: true);
                }

                ArrayPool<byte>.Shared.Return(_payload);
                _payload = [];
                _script = null;
                _engine = null;
                if (Interlocked.CompareExchange(ref _state, Done, Running) == Abandoned)
                {
                    Interlocked.Decrement(ref _owner._runaways);
                    break;
                }

                _done.Set();
            }

            _start.Dispose();
            _done.Dispose();
        }
    }
}

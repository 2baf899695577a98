using System.Collections.Concurrent;
using Acornima.Ast;
using Jint;

namespace Datacake.Streams.Processing.Decoding;

/// <summary>A parsed script and a few idle engines that ran it: creating an engine costs ~5× a call (measured here).</summary>
internal sealed class CompiledScript(Prepared<Script>? script, string? error, ulong sourceHash)
{
    private const int MaxIdleEngines = 4;
    private readonly ConcurrentBag<SandboxEngine> _idle = [];

    public Prepared<Script>? Script { get; } = script;

    public string? Error { get; } = error;

    /// <summary>Hash of the source: a new one is a new version of the decoder.</summary>
    public ulong SourceHash { get; } = sourceHash;

    public SandboxEngine? Rent() => _idle.TryTake(out var engine) ? engine : null;

    public bool Return(SandboxEngine engine)
    {
        if (_idle.Count >= MaxIdleEngines)
        {
            return false;
        }

        _idle.Add(engine);
        return true;
    }
}

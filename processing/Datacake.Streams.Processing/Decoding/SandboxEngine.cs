using Jint;
using Jint.Constraints;

namespace Datacake.Streams.Processing.Decoding;

/// <summary>An engine with the guards and harness run, and its per-call deadline.</summary>
internal sealed record SandboxEngine(Engine Engine, OperationDeadlineConstraint Deadline);

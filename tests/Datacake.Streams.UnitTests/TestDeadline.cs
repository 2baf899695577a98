namespace Datacake.Streams.UnitTests;

/// <summary>
/// How long a unit test waits for a condition that another thread brings about (a stream's element, a feed's
/// round, a task). CI runs the unit and integration assemblies side by side on 2 cores: an Akka timer of 50 ms came
/// through more than 5 s late there once (BatchStageTests), and the first stream of a process (ActorSystem start,
/// JIT) took past TestKit's 3 s default. A passing test never waits this long, only a broken one, so it is generous.
/// </summary>
internal static class TestDeadline
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>The same deadline for Akka TestKit's expectations.</summary>
    public const string AkkaConfig = "akka.test.single-expect-default = 30s";
}

namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>The numbers <c>First .. First+Count-1</c>; Count 0 = none.</summary>
internal readonly record struct Claim(long First, int Count);

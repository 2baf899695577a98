namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>
/// An influxd user: <c>--influx-user</c>, its password from <c>DCS_INFLUX_PASSWORD</c> (as the host reads it), not from
/// the command line, where every process on the machine can read it.
/// </summary>
internal sealed record InfluxLogin(string User, string Password)
{
    public static InfluxLogin? From(IReadOnlyDictionary<string, string> options)
    {
        if (!options.TryGetValue("influx-user", out var user))
        {
            return null;
        }

        var password = Environment.GetEnvironmentVariable("DCS_INFLUX_PASSWORD");
        return password is { Length: > 0 }
            ? new InfluxLogin(user, password)
            : throw new ArgumentException("--influx-user needs the password in DCS_INFLUX_PASSWORD");
    }

    /// <summary>The user only: a record would print the password.</summary>
    public override string ToString() => $"influxd user {User}";
}

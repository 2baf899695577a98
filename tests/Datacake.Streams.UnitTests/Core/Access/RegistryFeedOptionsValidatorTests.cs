using Datacake.Streams.Access;

namespace Datacake.Streams.UnitTests.Core.Access;

public sealed class RegistryFeedOptionsValidatorTests
{
    private readonly RegistryFeedOptionsValidator _validator = new();

    [Fact]
    public void The_defaults_are_valid()
    {
        Assert.True(_validator.Validate(null, new RegistryFeedOptions()).Succeeded);
        Assert.True(_validator.Validate(null, new RegistryFeedOptions { ConsumerGroup = "node-1" }).Succeeded);
    }

    [Theory]
    [InlineData(0, 500, 64, "x", null, nameof(RegistryFeedOptions.PollTimeout))]
    [InlineData(2_000, 500, 64, "x", null, nameof(RegistryFeedOptions.PollTimeout))]
    [InlineData(100, 0, 64, "x", null, nameof(RegistryFeedOptions.RetryDelay))]
    [InlineData(100, 500, 0, "x", null, nameof(RegistryFeedOptions.BarrierAttemptsPerPartition))]
    [InlineData(100, 500, 64, " ", null, nameof(RegistryFeedOptions.ConsumerGroupPrefix))]
    [InlineData(100, 500, 64, "x", " ", nameof(RegistryFeedOptions.ConsumerGroup))]
    public void Bad_options_are_refused_naming_the_setting(int pollMs, int retryMs, int attempts, string prefix, string? group, string setting)
    {
        var options = new RegistryFeedOptions
        {
            PollTimeout = TimeSpan.FromMilliseconds(pollMs),
            RetryDelay = TimeSpan.FromMilliseconds(retryMs),
            BarrierAttemptsPerPartition = attempts,
            ConsumerGroupPrefix = prefix,
            ConsumerGroup = group,
        };

        var result = _validator.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Single(result.Failures!);
        Assert.StartsWith(setting + " ", result.Failures!.Single(), StringComparison.Ordinal);
    }
}

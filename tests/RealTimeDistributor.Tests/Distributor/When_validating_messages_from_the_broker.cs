using System.Text.Json;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor;
using RealTimeDistributor.Distributor.Config;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Distributor.RealTime;

namespace RealTimeDistributor.Tests.Distributor;

/// <summary>What the distributor refuses before anything reaches PostgreSQL: text it cannot store, versions and times from the future.</summary>
public sealed class When_validating_messages_from_the_broker
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan MaxAhead = DistributorSettings.DefaultRealTimeMaxAhead;

    private static RealTimeRowsPublished Batch(params RealTimeRow[] rows) => new(RealTimeTables.All[0], false, Now, rows);

    private static RealTimeRow Row(string key = "k1", long? version = null, DateTimeOffset? updatedAt = null, string data = """{"n":1}""") =>
        new(key, version ?? Now.UtcTicks, updatedAt ?? Now, JsonDocument.Parse(data).RootElement.Clone());

    private static string Refusal(RealTimeRowsPublished batch) =>
        Assert.Throws<PoisonMessageException>(() => RealTimeApplier.Validate(batch, Now, MaxAhead)).Message;

    [Fact]
    public void Should_accept_rows_up_to_the_bound_ahead_of_the_clock()
    {
        RealTimeApplier.Validate(Batch(Row(), Row("k2", (Now + MaxAhead).UtcTicks, Now + MaxAhead), Row("k3", 1, DateTimeOffset.UnixEpoch)), Now, MaxAhead);
    }

    [Theory]
    [InlineData(0x0000, "NUL")]
    [InlineData(0xd800, "unpaired UTF-16 surrogate")]
    [InlineData(0xdfff, "unpaired UTF-16 surrogate")]
    public void Should_refuse_a_key_that_text_cannot_hold(int character, string reason)
    {
        // built here: a lone surrogate does not survive an attribute's UTF-8
        Assert.Contains(reason, Refusal(Batch(Row(), Row($"bad{(char)character}key"))));
    }

    [Theory]
    [InlineData("""{"n":"a\u0000b"}""", "$.n", "NUL")]
    [InlineData("""{"n\u0000":1}""", "property name", "NUL")]
    [InlineData("""{"n":["\udc00"]}""", "n[0]", "Unicode")]
    public void Should_refuse_data_that_jsonb_cannot_hold(string data, string where, string reason)
    {
        var refusal = Refusal(Batch(Row(data: data)));

        Assert.Contains(where.TrimStart('$', '.'), refusal);
        Assert.Contains(reason, refusal);
    }

    /// <summary>The bounds of PostgreSQL's numeric (what jsonb stores a number as), each side of each, as PostgreSQL 15 answers them.</summary>
    [Theory]
    [InlineData("1e131071")]
    [InlineData("-9.9e131071")]
    [InlineData("0.01e131073")]
    [InlineData("1e-16383")]
    [InlineData("1.5e-16382")]
    [InlineData("0e-16383")]
    [InlineData("0e1073741822")]
    [InlineData("0E+5")]
    [InlineData("-0.000")]
    [InlineData("123456789012345678901234567890.5")]
    public void Should_accept_a_number_that_numeric_holds(string number)
    {
        RealTimeApplier.Validate(Batch(Row(data: $$"""{"n":[1,{"m":{{number}}}]}""")), Now, MaxAhead);
    }

    [Theory]
    [InlineData("1e1000000", "1,000,001 digits before the decimal point")]
    [InlineData("1e131072", "131,073 digits before the decimal point")]
    [InlineData("12e131071", "131,073 digits before the decimal point")]
    [InlineData("0.01e131074", "131,073 digits before the decimal point")]
    [InlineData("1e-16384", "16,384 digits after the decimal point")]
    [InlineData("1.5e-16383", "16,384 digits after the decimal point")]
    [InlineData("0e-16384", "16,384 digits after the decimal point")]
    [InlineData("0e1073741823", "exponent")]
    [InlineData("1E+99999999999999999999", "exponent")]
    [InlineData("1e-1073741822", "digits after the decimal point")]
    public void Should_refuse_a_number_that_numeric_cannot_hold_with_where_and_why(string number, string why)
    {
        var refusal = Refusal(Batch(Row(), Row("k2", data: $$"""{"n":[1,{"m":{{number}}}]}""")));

        Assert.Contains("Row 'k2': data.n[1].m is a number PostgreSQL cannot hold", refusal);
        Assert.Contains(why, refusal);
    }

    [Fact]
    public void Should_count_the_digits_of_a_long_number_without_an_exponent()
    {
        RealTimeApplier.Validate(Batch(Row(data: $$"""{"n":0.{{new string('1', 16_383)}}}""")), Now, MaxAhead);
        RealTimeApplier.Validate(Batch(Row(data: $$"""{"n":{{new string('9', 131_072)}}}""")), Now, MaxAhead);

        Assert.Contains("16,384 digits after the decimal point", Refusal(Batch(Row(data: $$"""{"n":0.{{new string('1', 16_384)}}}"""))));
        Assert.Contains("131,073 digits before the decimal point", Refusal(Batch(Row(data: $$"""{"n":{{new string('9', 131_073)}}}"""))));
    }

    [Fact]
    public void Should_refuse_a_version_further_ahead_of_the_clock_than_the_bound()
    {
        Assert.Contains("ahead of this host's clock", Refusal(Batch(Row(version: long.MaxValue))));
        Assert.Contains("ahead of this host's clock", Refusal(Batch(Row(version: (Now + MaxAhead).UtcTicks + 1))));
    }

    [Fact]
    public void Should_refuse_an_update_time_in_the_far_future()
    {
        Assert.Contains("ahead of this host's clock", Refusal(Batch(Row(updatedAt: new DateTimeOffset(9999, 1, 1, 0, 0, 0, TimeSpan.Zero)))));
    }

    [Theory]
    [InlineData("""{"id":5,"name":"a\u0000b","kind":"acd","configSequence":2}""", "NUL")]
    [InlineData("""{"id":5,"name":"a\ud800b","kind":"acd","configSequence":2}""", "not valid Unicode")]
    public void Should_refuse_a_configuration_change_whose_text_cannot_be_stored(string row, string reason)
    {
        var change = new ConfigChanged(2, 1, "peripheral", ConfigOperations.Upsert, "5", JsonDocument.Parse(row).RootElement.Clone(), Now);

        var refusal = Assert.Throws<PoisonMessageException>(() => ConfigChangeRules.Validate(change));

        Assert.Equal(2, refusal.Sequence);
        Assert.Contains(reason, refusal.Message);
        Assert.Contains("row.name", refusal.Message);
    }
}

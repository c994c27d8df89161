namespace Refunds.Core.UnitTests;

public class VectorFilesTests
{
    [Theory]
    [InlineData("webhook1_body.json", 859)]
    [InlineData("webhook2_body.json", 460)]
    [InlineData("webhook3_body.json", 975)]
    [InlineData("reqsign_post_string_to_sign.txt", 111)]
    [InlineData("reqsign_get_string_to_sign.txt", 73)]
    public void Vector_files_keep_their_original_size(string name, int length)
        => Assert.Equal(length, VectorFiles.Bytes(name).Length);
}

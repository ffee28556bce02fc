def parse_fb2(data, limits, asset_base_url):
    raise NotImplementedError


def parse_fb2_zip(data, limits, asset_base_url):
    raise NotImplementedError

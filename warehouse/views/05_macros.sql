-- Macros the views use. DuckDB has no normal distribution function, so standard_normal_cdf
-- uses Abramowitz & Stegun 7.1.26 for erf (absolute error below 1.5e-7).
create or replace macro erf_as(x) as
    sign(x) * (
        1 - (1 / (1 + 0.3275911 * abs(x))) * (
            0.254829592 + (1 / (1 + 0.3275911 * abs(x))) * (
                -0.284496736 + (1 / (1 + 0.3275911 * abs(x))) * (
                    1.421413741 + (1 / (1 + 0.3275911 * abs(x))) * (
                        -1.453152027 + (1 / (1 + 0.3275911 * abs(x))) * 1.061405429
                    )
                )
            )
        ) * exp(-x * x)
    );

create or replace macro standard_normal_cdf(z) as 0.5 * (1 + erf_as(z / sqrt(2)));

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

-- erfc(x) for x >= 0 by the same formula (erf's 1 - …, kept as the product): absolute error
-- below 1.5e-7, and never below 0, so tiny p-values stay tiny rather than cancel
create or replace macro erfc_as(x) as
    (1 / (1 + 0.3275911 * x)) * (
        0.254829592 + (1 / (1 + 0.3275911 * x)) * (
            -0.284496736 + (1 / (1 + 0.3275911 * x)) * (
                1.421413741 + (1 / (1 + 0.3275911 * x)) * (
                    -1.453152027 + (1 / (1 + 0.3275911 * x)) * 1.061405429
                )
            )
        )
    ) * exp(-x * x);

-- p-values of a likelihood-ratio statistic: chi-square with 1 degree of freedom,
-- P(X > lr) = erfc(sqrt(lr / 2)) (1 at 0, where the formula gives 1 - 1e-9), and with 2,
-- exp(-lr / 2) (exact)
create or replace macro chi2_1_sf(lr) as
    case when lr > 0 then erfc_as(sqrt(lr / 2)) when lr = 0 then 1.0 end;
create or replace macro chi2_2_sf(lr) as exp(-lr / 2);

-- x * ln(y), 0 where x is 0 (a likelihood's 0 * log 0 = 0; DuckDB's ln(0) is -inf)
create or replace macro xlogy(x, y) as case when x = 0 then 0.0 else x * ln(y) end;
